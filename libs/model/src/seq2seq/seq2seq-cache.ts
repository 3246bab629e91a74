import * as tf from '@tensorflow/tfjs-core';
import type { LayerKeyValue } from '../layers/causal-attention.ts';

/**
 * The encoder's output for one batch of sources, computed once per generation: hidden states
 * `[batch, sourceLength, d_model]` and the source attention mask (1 = real token).
 */
export interface EncoderOutput {
  readonly batchSize: number;
  readonly sourceLength: number;
  readonly hidden: tf.Tensor3D;
  readonly attentionMask: Int32Array; // [batch, sourceLength]
}

/**
 * The decoder's key/value cache: per layer the self-attention keys/values, which grow by one position
 * per generated token, and the cross-attention keys/values of the encoder output, computed on the
 * first step and reused by every later one. Kept outside tidy scopes; `disposeSeq2SeqCache` frees it.
 */
export interface Seq2SeqCache {
  readonly length: number;
  readonly self: readonly LayerKeyValue[];
  readonly cross: readonly LayerKeyValue[];
}

export function disposeSeq2SeqCache(cache: Seq2SeqCache | undefined, options: { keepCross?: boolean } = {}): void {
  if (cache === undefined) return;
  for (const layer of cache.self) tf.dispose([layer.key, layer.value]);
  if (options.keepCross !== true) for (const layer of cache.cross) tf.dispose([layer.key, layer.value]);
}

export function disposeEncoderOutput(output: EncoderOutput): void {
  output.hidden.dispose();
}

/**
 * The cache with its rows reordered (beam search keeps beam `rows[i]` as beam i): self-attention
 * entries gathered along the batch axis; cross-attention entries kept, since every beam of a source
 * has the same encoder output (BART's and Marian's `_reorder_cache`). The input cache is disposed,
 * its cross entries excepted (they move to the result).
 */
export function reorderSeq2SeqCache(cache: Seq2SeqCache, rows: readonly number[]): Seq2SeqCache {
  const self = tf.tidy(() => {
    const index = tf.tensor1d(Int32Array.from(rows), 'int32');
    return cache.self.map(({ key, value }) => ({ key: tf.gather(key, index) as tf.Tensor4D, value: tf.gather(value, index) as tf.Tensor4D }));
  });
  disposeSeq2SeqCache(cache, { keepCross: true });
  return { length: cache.length, self, cross: cache.cross };
}
