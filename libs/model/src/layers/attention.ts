import type * as tf from '@tensorflow/tfjs-core';
import { attention as multiHeadAttention, attentionQkv, isNativeActive } from '@tunefleet/native-kernels';
import { dropoutKeepMask, qkvDense, type DropoutContext } from '../bert/ops.ts';
import { linear, type ParameterLookup } from './parameter-lookup.ts';

/** Module names of the query, key and value projections, e.g. `...attention.self.query` or `...attention.q_lin`. */
export interface QkvNames {
  readonly query: string;
  readonly key: string;
  readonly value: string;
}

/**
 * Multi-head scaled dot-product self-attention (eager attention of Hugging Face's BERT, RoBERTa and
 * DistilBERT): softmax(q k^T / sqrt(headDim) + mask) v, with dropout on the probabilities.
 * Returns the context `[batch * seq, hidden]`, before the output projection.
 */
export function selfAttention(
  p: ParameterLookup,
  names: QkvNames,
  hidden: tf.Tensor2D, // [batch * seq, hidden]
  mask: tf.Tensor4D, // [batch, 1, 1, seq], additive
  shape: { batchSize: number; seqLength: number; heads: number; probsDropoutRate: number },
  drop: DropoutContext | undefined,
  site: string,
): tf.Tensor2D {
  const { batchSize, seqLength, heads, probsDropoutRate } = shape;
  const probsSize = batchSize * heads * seqLength * seqLength; // [batch, heads, seq, seq]
  const keep = dropoutKeepMask(probsSize, probsDropoutRate, drop, `${site}/attn-probs`);
  const probsDropout = keep === undefined ? undefined : { keep, scale: 1 / (1 - probsDropoutRate) };
  const options = { batchSize, seqLength, heads, mask, ...(probsDropout ? { dropout: probsDropout } : {}) };
  if (isNativeActive()) {
    // One projection over the Q/K/V weights concatenated at use (parameters and checkpoints keep
    // their three names): one matMul forward, and the fused attention's backward writes one
    // [batch * seq, 3 * hidden] gradient, so dx and dW are one matMul each too.
    const w = (n: string) => p(`${n}.weight`) as tf.Tensor2D; // [hidden, hidden]
    const b = (n: string) => p(`${n}.bias`) as tf.Tensor1D; // [hidden]
    const qkv = qkvDense(hidden, w(names.query), w(names.key), w(names.value), b(names.query), b(names.key), b(names.value)); // [batch * seq, 3 * hidden]
    return attentionQkv(qkv, options); // [batch * seq, hidden]
  }
  const query = linear(p, names.query, hidden); // [batch * seq, hidden]
  const key = linear(p, names.key, hidden);
  const value = linear(p, names.value, hidden);
  return multiHeadAttention(query, key, value, options); // [batch * seq, hidden]
}
