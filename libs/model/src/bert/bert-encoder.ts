import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from '../config/index.ts';
import type { ModelBatch } from '../trainable.ts';
import { BertModelError } from './bert-model-error.ts';
import { attention as multiHeadAttention, attentionQkv, isNativeActive } from '@tunefleet/native-kernels';
import { addLayerNorm, dense, dropout, dropoutKeepMask, embeddingLookup, extendedAttentionMask, gelu, layerNorm, qkvDense, type DropoutContext } from './ops.ts';

/** Looks a parameter up by its Hugging Face name (`bert.encoder.layer.0.output.dense.weight`). */
export type ParameterLookup = (name: string) => tf.Tensor;

/**
 * The BERT encoder (`BertModel` without the pooler) as a pure function of its parameters.
 * Hidden states stay 2-D `[batch * seq, hidden]` throughout, so every dense layer is one plain matMul.
 * Returns the last hidden states `[batch * seq, hidden]`.
 */
export function bertEncoder(
  config: BertConfig,
  p: ParameterLookup,
  batch: ModelBatch,
  drop: DropoutContext | undefined,
): tf.Tensor2D {
  const { batchSize, seqLength } = batch;
  checkBatch(config, batch);
  let hidden = embeddings(config, p, batch, drop); // [batch * seq, hidden]
  const mask = extendedAttentionMask(batch.attentionMask, batchSize, seqLength); // [batch, 1, 1, seq]
  for (let i = 0; i < config.num_hidden_layers; i++) {
    hidden = encoderLayer(config, p, `bert.encoder.layer.${i}.`, hidden, mask, batchSize, seqLength, drop, `layer${i}`);
  }
  return hidden;
}

function embeddings(config: BertConfig, p: ParameterLookup, batch: ModelBatch, drop: DropoutContext | undefined): tf.Tensor2D {
  const { batchSize, seqLength } = batch;
  const positions = new Int32Array(batchSize * seqLength);
  for (let i = 0; i < positions.length; i++) positions[i] = i % seqLength;
  const table = (name: string) => p(`bert.embeddings.${name}.weight`) as tf.Tensor2D;
  // word + token type + position, in Hugging Face's order (plain adds: some backends lack a fast AddN)
  const wordsAndTypes = tf.add(
    embeddingLookup(table('word_embeddings'), batch.inputIds, config.pad_token_id), // [batch * seq, hidden]
    embeddingLookup(table('token_type_embeddings'), batch.tokenTypeIds),
  );
  const sum = tf.add(wordsAndTypes, embeddingLookup(table('position_embeddings'), positions));
  const normed = layerNorm(sum, ln(p, 'bert.embeddings.LayerNorm.weight'), ln(p, 'bert.embeddings.LayerNorm.bias'), config.layer_norm_eps);
  return dropout(normed, config.hidden_dropout_prob, drop, 'embeddings') as tf.Tensor2D;
}

function encoderLayer(
  config: BertConfig,
  p: ParameterLookup,
  prefix: string,
  hidden: tf.Tensor2D, // [batch * seq, hidden]
  mask: tf.Tensor4D,
  batchSize: number,
  seqLength: number,
  drop: DropoutContext | undefined,
  site: string,
): tf.Tensor2D {
  const eps = config.layer_norm_eps;
  const context = selfAttention(config, p, `${prefix}attention.self.`, hidden, mask, batchSize, seqLength, drop, site);
  const attnOut = dropout(linear(p, `${prefix}attention.output.dense`, context), config.hidden_dropout_prob, drop, `${site}/attn-out`);
  const attention = addLayerNorm(
    attnOut,
    hidden,
    ln(p, `${prefix}attention.output.LayerNorm.weight`),
    ln(p, `${prefix}attention.output.LayerNorm.bias`),
    eps,
  ) as tf.Tensor2D;
  const intermediate = gelu(linear(p, `${prefix}intermediate.dense`, attention)) as tf.Tensor2D; // [batch * seq, intermediate]
  const output = dropout(linear(p, `${prefix}output.dense`, intermediate), config.hidden_dropout_prob, drop, `${site}/out`);
  return addLayerNorm(output, attention, ln(p, `${prefix}output.LayerNorm.weight`), ln(p, `${prefix}output.LayerNorm.bias`), eps) as tf.Tensor2D;
}

function selfAttention(
  config: BertConfig,
  p: ParameterLookup,
  prefix: string,
  hidden: tf.Tensor2D, // [batch * seq, hidden]
  mask: tf.Tensor4D, // [batch, 1, 1, seq]
  batchSize: number,
  seqLength: number,
  drop: DropoutContext | undefined,
  site: string,
): tf.Tensor2D {
  const heads = config.num_attention_heads;
  const probsSize = batchSize * heads * seqLength * seqLength; // [batch, heads, seq, seq]
  const keep = dropoutKeepMask(probsSize, config.attention_probs_dropout_prob, drop, `${site}/attn-probs`);
  const probsDropout = keep === undefined ? undefined : { keep, scale: 1 / (1 - config.attention_probs_dropout_prob) };
  const options = { batchSize, seqLength, heads, mask, ...(probsDropout ? { dropout: probsDropout } : {}) };
  if (isNativeActive()) {
    // One projection over the Q/K/V weights concatenated at use (parameters and checkpoints keep
    // their three names): one matMul forward, and the fused attention's backward writes one
    // [batch * seq, 3 * hidden] gradient, so dx and dW are one matMul each too.
    const w = (n: string) => p(`${prefix}${n}.weight`) as tf.Tensor2D; // [hidden, hidden]
    const b = (n: string) => p(`${prefix}${n}.bias`) as tf.Tensor1D; // [hidden]
    const qkv = qkvDense(hidden, w('query'), w('key'), w('value'), b('query'), b('key'), b('value')); // [batch * seq, 3 * hidden]
    return attentionQkv(qkv, options); // [batch * seq, hidden]
  }
  const query = linear(p, `${prefix}query`, hidden); // [batch * seq, hidden]
  const key = linear(p, `${prefix}key`, hidden);
  const value = linear(p, `${prefix}value`, hidden);
  return multiHeadAttention(query, key, value, options); // [batch * seq, hidden]
}

/** Pooler: dense + tanh on the first token of every sequence. Returns `[batch, hidden]`. */
export function bertPooler(p: ParameterLookup, hidden: tf.Tensor2D, batchSize: number, seqLength: number): tf.Tensor2D {
  const firstTokens = tf.tensor1d(Int32Array.from({ length: batchSize }, (_, b) => b * seqLength), 'int32');
  const first = tf.gather(hidden, firstTokens); // [batch, hidden]
  return tf.tanh(linear(p, 'bert.pooler.dense', first));
}

/** A Linear layer by module name: `${name}.weight` `[out, in]`, `${name}.bias` `[out]`. */
export function linear(p: ParameterLookup, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return dense(x, p(`${name}.weight`) as tf.Tensor2D, p(`${name}.bias`) as tf.Tensor1D);
}

function ln(p: ParameterLookup, name: string): tf.Tensor1D {
  return p(name) as tf.Tensor1D;
}

function checkBatch(config: BertConfig, batch: ModelBatch): void {
  const { batchSize, seqLength } = batch;
  const size = batchSize * seqLength;
  for (const [field, array] of [['inputIds', batch.inputIds], ['attentionMask', batch.attentionMask], ['tokenTypeIds', batch.tokenTypeIds]] as const) {
    if (array.length !== size) {
      throw new BertModelError('BATCH_SHAPE', `batch.${field} has ${array.length} values, expected batchSize ${batchSize} x seqLength ${seqLength} = ${size}`);
    }
  }
  if (seqLength > config.max_position_embeddings) {
    throw new BertModelError('BATCH_SHAPE', `seqLength ${seqLength} exceeds max_position_embeddings ${config.max_position_embeddings}`);
  }
  checkRange(batch.inputIds, config.vocab_size, 'inputIds', 'vocab_size');
  checkRange(batch.tokenTypeIds, config.type_vocab_size, 'tokenTypeIds', 'type_vocab_size');
}

function checkRange(values: Int32Array, limit: number, field: string, limitName: string): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= limit) {
      throw new BertModelError('BATCH_VALUE', `batch.${field}[${i}] = ${values[i]} is outside [0, ${limit}) (${limitName})`);
    }
  }
}
