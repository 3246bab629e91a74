import * as tf from '@tensorflow/tfjs-core';
import { dropout, FLOAT32_MIN, type DropoutContext } from '../bert/ops.ts';

/** One layer's cached keys and values: `[batch, kvHeads, length, headDim]` each. */
export interface LayerKeyValue {
  readonly key: tf.Tensor4D;
  readonly value: tf.Tensor4D;
}

/**
 * The key/value cache of a decoder: one entry per layer and the number of positions it holds.
 * With it, each new token costs one decoder step over that token alone (its query attends to the
 * cached keys). Its tensors are kept outside tidy scopes; `disposeKeyValueCache` frees them.
 */
export interface KeyValueCache {
  readonly length: number;
  readonly layers: readonly LayerKeyValue[];
}

export function disposeKeyValueCache(cache: KeyValueCache | undefined): void {
  if (cache === undefined) return;
  for (const layer of cache.layers) tf.dispose([layer.key, layer.value]);
}

/**
 * The additive mask of causal attention, `[batch, 1, seq, past + seq]`: query i (at absolute position
 * past + i) sees key j when j <= past + i and the key is not padding (`attentionMask` over all
 * past + seq positions, 1 = real token). Masked entries are float32's minimum, as transformers uses.
 */
export function causalMask(attentionMask: Int32Array | undefined, batchSize: number, seqLength: number, pastLength: number): tf.Tensor4D {
  const total = pastLength + seqLength;
  if (attentionMask !== undefined && attentionMask.length !== batchSize * total) {
    throw new RangeError(`attention mask has ${attentionMask.length} values, expected batch ${batchSize} x (past ${pastLength} + seq ${seqLength})`);
  }
  const values = new Float32Array(batchSize * seqLength * total);
  for (let b = 0; b < batchSize; b++) {
    for (let i = 0; i < seqLength; i++) {
      const row = (b * seqLength + i) * total;
      for (let j = 0; j < total; j++) {
        const visible = j <= pastLength + i && (attentionMask === undefined || attentionMask[b * total + j] !== 0);
        if (!visible) values[row + j] = FLOAT32_MIN;
      }
    }
  }
  return tf.tensor4d(values, [batchSize, 1, seqLength, total]);
}

/** `[batch * seq, heads * headDim]` → `[batch, heads, seq, headDim]`. */
export function splitHeads(x: tf.Tensor2D, batchSize: number, seqLength: number, heads: number): tf.Tensor4D {
  const headDim = x.shape[1] / heads;
  return tf.transpose(tf.reshape(x, [batchSize, seqLength, heads, headDim]), [0, 2, 1, 3]);
}

/** `[batch, heads, seq, headDim]` → `[batch * seq, heads * headDim]`. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor2D {
  const [batchSize, heads, seqLength, headDim] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batchSize * seqLength, heads * headDim]);
}

/** Appends this step's keys and values to the layer's cache along the position axis. */
export function appendKeyValue(past: LayerKeyValue | undefined, key: tf.Tensor4D, value: tf.Tensor4D): LayerKeyValue {
  if (past === undefined) return { key, value };
  return { key: tf.concat([past.key, key], 2), value: tf.concat([past.value, value], 2) };
}

/**
 * Grouped-query attention's `repeat_kv`: each of the kv heads serves `groups` consecutive query
 * heads. `[batch, kvHeads, len, headDim]` → `[batch, kvHeads * groups, len, headDim]`.
 */
export function repeatKeyValueHeads(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return x;
  const kvHeads = x.shape[1];
  // A gather along the head axis (its gradient sums each group back); Tile has no gradient here.
  return tf.gather(x, tf.tensor1d(Int32Array.from({ length: kvHeads * groups }, (_, h) => Math.floor(h / groups)), 'int32'), 1);
}

/**
 * Eager attention of transformers' decoders: `dropout(softmax(q k^T * scale + mask)) v`.
 * q `[batch, heads, seq, headDim]`, k and v `[batch, heads, past + seq, headDim]`, mask
 * `[batch, 1, seq, past + seq]`. Returns `[batch, heads, seq, headDim]`.
 */
export function scaledDotProductAttention(
  query: tf.Tensor4D,
  key: tf.Tensor4D,
  value: tf.Tensor4D,
  mask: tf.Tensor4D,
  options: { scale: number; probsDropoutRate: number; drop: DropoutContext | undefined; site: string },
): tf.Tensor4D {
  const scores = tf.add(tf.mul(tf.matMul(query, key, false, true), options.scale), mask); // [batch, heads, seq, past + seq]
  const probs = dropout(tf.softmax(scores), options.probsDropoutRate, options.drop, `${options.site}/attn-probs`);
  return tf.matMul(probs, value) as tf.Tensor4D; // [batch, heads, seq, headDim]
}
