import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from '../config/index.ts';

/**
 * Hugging Face's `BertPreTrainedModel._init_weights` for one parameter: normal(0, initializer_range)
 * for Linear and Embedding weights, zeros for biases, ones/zeros for LayerNorm weight/bias, and the
 * `pad_token_id` row of the word embeddings zeroed. `seed` makes it reproducible.
 */
export function initialParameter(config: BertConfig, name: string, shape: readonly number[], seed: number): tf.Tensor {
  const dims = [...shape];
  return tf.tidy(() => {
    if (isLayerNorm(name)) return name.endsWith('.weight') ? tf.ones(dims) : tf.zeros(dims);
    if (name.endsWith('bias')) return tf.zeros(dims); // Linear biases and cls.predictions.bias
    const values = tf.randomNormal(dims, 0, config.initializer_range, 'float32', seed);
    if (name !== 'bert.embeddings.word_embeddings.weight') return values;
    const keep = tf.tensor1d(Int32Array.from({ length: shape[0] }, (_, row) => (row === config.pad_token_id ? 0 : 1)), 'float32');
    return tf.mul(values, tf.reshape(keep, [shape[0], 1])); // padding_idx row is zero
  });
}

export function isLayerNorm(name: string): boolean {
  return name.includes('LayerNorm.');
}

/** Weight decay applies to matrices only: not to biases or LayerNorm parameters (HF's default grouping). */
export function isDecayedParameter(name: string): boolean {
  return !name.endsWith('bias') && !isLayerNorm(name);
}

/** A seed per parameter, stable under its position in the model's order. */
export function parameterSeed(seed: number, index: number): number {
  return (seed * 1000003 + index * 7919) % 2147483647;
}
