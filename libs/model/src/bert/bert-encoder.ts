import * as tf from '@tensorflow/tfjs-core';
import type { BertConfig } from '../config/index.ts';
import type { ModelBatch } from '../trainable.ts';
import { selfAttention } from '../layers/attention.ts';
import { checkBatch } from '../layers/batch-checks.ts';
import { firstTokens } from '../layers/heads.ts';
import { linear, vector as ln, type ParameterLookup } from '../layers/parameter-lookup.ts';
import { addLayerNorm, dropout, embeddingLookup, extendedAttentionMask, gelu, layerNorm, type DropoutContext } from './ops.ts';

export { linear, type ParameterLookup } from '../layers/parameter-lookup.ts';

/** The config fields the BERT encoder reads: BertConfig's, which RobertaConfig shares. */
export type BertEncoderConfig = Pick<
  BertConfig,
  | 'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'hidden_dropout_prob' | 'attention_probs_dropout_prob'
  | 'max_position_embeddings' | 'type_vocab_size' | 'layer_norm_eps' | 'pad_token_id'
>;

/**
 * Where the encoder's parameters live and how positions are numbered. BERT: `bert.`, positions
 * 0..seq-1. RoBERTa: `roberta.`, positions from the input ids (after the padding index) and a
 * position table whose padding row takes no gradient.
 */
export interface BertEncoderLayout {
  readonly prefix: string;
  /** `[batch * seq]` position ids; default 0..seq-1 per row. */
  positionIds?(batch: ModelBatch): Int32Array;
  /** padding_idx of the position embedding, if it has one. */
  readonly positionPaddingIdx?: number;
  /** The longest sequence the position table allows, and how to say it in an error. */
  readonly maxSeqLength?: { length: number; source: string };
}

const BERT_LAYOUT: BertEncoderLayout = { prefix: 'bert' };

/**
 * The BERT encoder (`BertModel` without the pooler) as a pure function of its parameters.
 * Hidden states stay 2-D `[batch * seq, hidden]` throughout, so every dense layer is one plain matMul.
 * Returns the last hidden states `[batch * seq, hidden]`.
 */
export function bertEncoder(
  config: BertEncoderConfig,
  p: ParameterLookup,
  batch: ModelBatch,
  drop: DropoutContext | undefined,
  layout: BertEncoderLayout = BERT_LAYOUT,
): tf.Tensor2D {
  const { batchSize, seqLength } = batch;
  const maxSeq = layout.maxSeqLength ?? { length: config.max_position_embeddings, source: `max_position_embeddings ${config.max_position_embeddings}` };
  checkBatch(batch, { vocabSize: config.vocab_size, typeVocabSize: config.type_vocab_size, maxSeqLength: maxSeq.length, maxSeqLengthSource: maxSeq.source });
  let hidden = embeddings(config, p, batch, drop, layout); // [batch * seq, hidden]
  const mask = extendedAttentionMask(batch.attentionMask, batchSize, seqLength); // [batch, 1, 1, seq]
  for (let i = 0; i < config.num_hidden_layers; i++) {
    hidden = encoderLayer(config, p, `${layout.prefix}.encoder.layer.${i}.`, hidden, mask, batchSize, seqLength, drop, `layer${i}`);
  }
  return hidden;
}

function embeddings(config: BertEncoderConfig, p: ParameterLookup, batch: ModelBatch, drop: DropoutContext | undefined, layout: BertEncoderLayout): tf.Tensor2D {
  const { batchSize, seqLength } = batch;
  let positions: Int32Array;
  if (layout.positionIds) positions = layout.positionIds(batch);
  else {
    positions = new Int32Array(batchSize * seqLength);
    for (let i = 0; i < positions.length; i++) positions[i] = i % seqLength;
  }
  const prefix = `${layout.prefix}.embeddings`;
  const table = (name: string) => p(`${prefix}.${name}.weight`) as tf.Tensor2D;
  // word + token type + position, in Hugging Face's order (plain adds: some backends lack a fast AddN)
  const wordsAndTypes = tf.add(
    embeddingLookup(table('word_embeddings'), batch.inputIds, config.pad_token_id), // [batch * seq, hidden]
    embeddingLookup(table('token_type_embeddings'), batch.tokenTypeIds),
  );
  const sum = tf.add(wordsAndTypes, embeddingLookup(table('position_embeddings'), positions, layout.positionPaddingIdx));
  const normed = layerNorm(sum, ln(p, `${prefix}.LayerNorm.weight`), ln(p, `${prefix}.LayerNorm.bias`), config.layer_norm_eps);
  return dropout(normed, config.hidden_dropout_prob, drop, 'embeddings') as tf.Tensor2D;
}

function encoderLayer(
  config: BertEncoderConfig,
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
  const names = { query: `${prefix}attention.self.query`, key: `${prefix}attention.self.key`, value: `${prefix}attention.self.value` };
  const shape = { batchSize, seqLength, heads: config.num_attention_heads, probsDropoutRate: config.attention_probs_dropout_prob };
  const context = selfAttention(p, names, hidden, mask, shape, drop, site);
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

/** Pooler: dense + tanh on the first token of every sequence. Returns `[batch, hidden]`. */
export function bertPooler(p: ParameterLookup, hidden: tf.Tensor2D, batchSize: number, seqLength: number): tf.Tensor2D {
  return tf.tanh(linear(p, 'bert.pooler.dense', firstTokens(hidden, batchSize, seqLength))); // [batch, hidden]
}

