import * as tf from '@tensorflow/tfjs-core';

/**
 * Hugging Face's `_init_weights` for one parameter, as BERT, RoBERTa and DistilBERT share it:
 * normal(0, initializer_range) for Linear and Embedding weights, zeros for biases, ones/zeros for
 * LayerNorm weight/bias, and the `padding_idx` row of an embedding zeroed. `paddingRows` maps an
 * embedding's name to its padding_idx. `seed` makes it reproducible.
 */
export function initialEncoderParameter(
  name: string,
  shape: readonly number[],
  seed: number,
  init: { initializerRange: number; paddingRows: ReadonlyMap<string, number> },
): tf.Tensor {
  const dims = [...shape];
  return tf.tidy(() => {
    if (isNormParameter(name)) return name.endsWith('.weight') ? tf.ones(dims) : tf.zeros(dims);
    if (name.endsWith('bias')) return tf.zeros(dims); // Linear biases and the MLM output bias
    const values = tf.randomNormal(dims, 0, init.initializerRange, 'float32', seed);
    const padding = init.paddingRows.get(name);
    if (padding === undefined) return values;
    const keep = tf.tensor1d(Int32Array.from({ length: shape[0] }, (_, row) => (row === padding ? 0 : 1)), 'float32');
    return tf.mul(values, tf.reshape(keep, [shape[0], 1])); // padding_idx row is zero
  });
}

/** LayerNorm parameters under every family's names: `LayerNorm.`, `layer_norm.`, `sa_layer_norm.`, ... */
export function isNormParameter(name: string): boolean {
  return /(LayerNorm|layer_norm)\.(weight|bias|gamma|beta)$/.test(name);
}

/** Weight decay applies to matrices only: not to biases or LayerNorm parameters (HF's default grouping). */
export function isDecayedEncoderParameter(name: string): boolean {
  return !name.endsWith('bias') && !isNormParameter(name);
}
