import * as tf from '@tensorflow/tfjs-core';

/**
 * transformers' `_init_weights` for a decoder parameter: norms' weights one and biases zero, other
 * biases zero, every other matrix normal(0, std) where `std(name)` gives the family's value (GPT-2
 * scales its residual projections), and the `paddingRows` row of an embedding zeroed.
 */
export function initialDecoderParameter(
  name: string,
  shape: readonly number[],
  seed: number,
  init: { std: (name: string) => number; isNorm: (name: string) => boolean; paddingRows?: ReadonlyMap<string, number> },
): tf.Tensor {
  const dims = [...shape];
  return tf.tidy(() => {
    if (init.isNorm(name)) return name.endsWith('.weight') ? tf.ones(dims) : tf.zeros(dims);
    if (name.endsWith('.bias')) return tf.zeros(dims);
    const values = tf.randomNormal(dims, 0, init.std(name), 'float32', seed);
    const padding = init.paddingRows?.get(name);
    if (padding === undefined) return values;
    const keep = tf.tensor1d(Int32Array.from({ length: shape[0] }, (_, row) => (row === padding ? 0 : 1)), 'float32');
    return tf.mul(values, tf.reshape(keep, [shape[0], 1]));
  });
}

/**
 * Checkpoint keys → the decoder's names: a base-model checkpoint (`GPT2Model`'s `h.0...`,
 * `LlamaModel`'s `layers.0...`) gets the `prefix`; `ignored` keys (attention-mask buffers, RoPE's
 * inv_freq, a tied lm_head the model does not list) are never reported unused.
 */
export function normalizeDecoderCheckpointNames<T>(
  tensors: ReadonlyMap<string, T>,
  expected: ReadonlyMap<string, readonly number[]>,
  layout: { prefix: string; ignored: readonly RegExp[] },
): { renamed: Map<string, T>; ignored: Set<string> } {
  const prefix = `${layout.prefix}.`;
  const hasPrefix = [...tensors.keys()].some((key) => key.startsWith(prefix));
  const renamed = new Map<string, T>();
  for (const [key, tensor] of tensors) {
    const name = !hasPrefix && !key.startsWith('lm_head.') ? `${prefix}${key}` : key;
    renamed.set(name, tensor);
  }
  const tiedHead = !expected.has('lm_head.weight');
  const ignored = new Set(
    [...renamed.keys()].filter((name) => layout.ignored.some((pattern) => pattern.test(name)) || (tiedHead && name === 'lm_head.weight')),
  );
  return { renamed, ignored };
}
