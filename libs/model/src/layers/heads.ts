import * as tf from '@tensorflow/tfjs-core';
import { dense, dropout, gelu, layerNorm, type DropoutContext } from '../bert/ops.ts';
import { linear, vector, type ParameterLookup } from './parameter-lookup.ts';

/** The hidden state of each sequence's first token (`[CLS]` / `<s>`): `[batch * seq, hidden]` → `[batch, hidden]`. */
export function firstTokens(hidden: tf.Tensor2D, batchSize: number, seqLength: number): tf.Tensor2D {
  return tf.gather(hidden, tf.tensor1d(Int32Array.from({ length: batchSize }, (_, b) => b * seqLength), 'int32'));
}

/** Token classification: dropout, then Linear `classifier` per token. Logits `[batch, seq, numLabels]`. */
export function tokenClassifierLogits(
  p: ParameterLookup,
  hidden: tf.Tensor2D, // [batch * seq, hidden]
  shape: { batchSize: number; seqLength: number; numLabels: number },
  rate: number,
  drop: DropoutContext | undefined,
): tf.Tensor3D {
  const logits = linear(p, 'classifier', dropout(hidden, rate, drop, 'classifier') as tf.Tensor2D);
  return tf.reshape(logits, [shape.batchSize, shape.seqLength, shape.numLabels]);
}

/** Module names of a masked-LM head: transform dense, its LayerNorm, the tied word embeddings and the output bias. */
export interface MaskedLmNames {
  readonly dense: string;
  readonly layerNorm: string;
  readonly wordEmbeddings: string;
  readonly bias: string;
}

/**
 * The masked-LM head BERT (`cls.predictions`), RoBERTa (`lm_head`) and DistilBERT (`vocab_*`)
 * share: dense + GELU + LayerNorm, then a decoder TIED to the word embeddings plus its own bias.
 * Logits `[batch, seq, vocab]`.
 */
export function maskedLmLogits(
  p: ParameterLookup,
  names: MaskedLmNames,
  hidden: tf.Tensor2D, // [batch * seq, hidden]
  shape: { batchSize: number; seqLength: number; vocabSize: number },
  eps: number,
): tf.Tensor3D {
  const transformed = layerNorm(
    gelu(linear(p, names.dense, hidden)),
    vector(p, `${names.layerNorm}.weight`),
    vector(p, `${names.layerNorm}.bias`),
    eps,
  ) as tf.Tensor2D;
  const wordEmbeddings = p(names.wordEmbeddings) as tf.Tensor2D; // [vocab, hidden], tied
  const logits = dense(transformed, wordEmbeddings, vector(p, names.bias)); // [batch * seq, vocab]
  return tf.reshape(logits, [shape.batchSize, shape.seqLength, shape.vocabSize]);
}
