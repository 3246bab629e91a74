import type * as tf from '@tensorflow/tfjs-core';
import { initialEncoderParameter, isDecayedEncoderParameter, isNormParameter } from '../layers/init.ts';
import type { BertConfig } from '../config/index.ts';

/**
 * Hugging Face's `BertPreTrainedModel._init_weights` for one parameter: normal(0, initializer_range)
 * for Linear and Embedding weights, zeros for biases, ones/zeros for LayerNorm weight/bias, and the
 * `pad_token_id` row of the word embeddings zeroed. `seed` makes it reproducible.
 */
export function initialParameter(config: BertConfig, name: string, shape: readonly number[], seed: number): tf.Tensor {
  const paddingRows = new Map([['bert.embeddings.word_embeddings.weight', config.pad_token_id]]);
  return initialEncoderParameter(name, shape, seed, { initializerRange: config.initializer_range, paddingRows });
}

export function isLayerNorm(name: string): boolean {
  return isNormParameter(name);
}

/** Weight decay applies to matrices only: not to biases or LayerNorm parameters (HF's default grouping). */
export const isDecayedParameter = isDecayedEncoderParameter;

/** A seed per parameter, stable under its position in the model's order. */
export function parameterSeed(seed: number, index: number): number {
  return (seed * 1000003 + index * 7919) % 2147483647;
}
