import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm, dropout, embeddingLookup, extendedAttentionMask, gelu, layerNorm, type DropoutContext } from '../bert/ops.ts';
import { DISTILBERT_LAYER_NORM_EPS, type DistilBertConfig } from '../config/index.ts';
import { selfAttention } from '../layers/attention.ts';
import { checkBatch } from '../layers/batch-checks.ts';
import { linear, vector, type ParameterLookup } from '../layers/parameter-lookup.ts';
import type { ModelBatch } from '../trainable.ts';

/**
 * DistilBERT's `distilbert` module (Embeddings + Transformer) as a pure function of its parameters:
 * word + position embeddings (no token types), LayerNorm, dropout; then per layer post-LN
 * self-attention (`q_lin`/`k_lin`/`v_lin`/`out_lin`, no dropout after `out_lin`), `sa_layer_norm`,
 * FFN `lin1` + GELU + `lin2` + dropout, `output_layer_norm`. `batch.tokenTypeIds` is ignored, as
 * DistilBERT takes none. Returns the last hidden states `[batch * seq, dim]`.
 */
export function distilBertTransformer(
  config: DistilBertConfig,
  p: ParameterLookup,
  batch: ModelBatch,
  drop: DropoutContext | undefined,
): tf.Tensor2D {
  const { batchSize, seqLength } = batch;
  checkBatch(batch, {
    vocabSize: config.vocab_size,
    maxSeqLength: config.max_position_embeddings,
    maxSeqLengthSource: `max_position_embeddings ${config.max_position_embeddings}`,
  });
  const eps = DISTILBERT_LAYER_NORM_EPS;
  const positions = Int32Array.from({ length: batchSize * seqLength }, (_, i) => i % seqLength);
  const table = (name: string) => p(`distilbert.embeddings.${name}.weight`) as tf.Tensor2D;
  const sum = tf.add(
    embeddingLookup(table('word_embeddings'), batch.inputIds, config.pad_token_id), // [batch * seq, dim]
    embeddingLookup(table('position_embeddings'), positions),
  );
  const normed = layerNorm(sum, vector(p, 'distilbert.embeddings.LayerNorm.weight'), vector(p, 'distilbert.embeddings.LayerNorm.bias'), eps);
  let hidden = dropout(normed, config.dropout, drop, 'embeddings') as tf.Tensor2D;
  const mask = extendedAttentionMask(batch.attentionMask, batchSize, seqLength); // [batch, 1, 1, seq]
  const shape = { batchSize, seqLength, heads: config.n_heads, probsDropoutRate: config.attention_dropout };
  for (let i = 0; i < config.n_layers; i++) {
    const prefix = `distilbert.transformer.layer.${i}.`;
    const site = `layer${i}`;
    const names = { query: `${prefix}attention.q_lin`, key: `${prefix}attention.k_lin`, value: `${prefix}attention.v_lin` };
    const context = selfAttention(p, names, hidden, mask, shape, drop, site); // [batch * seq, dim]
    const attention = addLayerNorm(
      linear(p, `${prefix}attention.out_lin`, context),
      hidden,
      vector(p, `${prefix}sa_layer_norm.weight`),
      vector(p, `${prefix}sa_layer_norm.bias`),
      eps,
    ) as tf.Tensor2D;
    const inner = gelu(linear(p, `${prefix}ffn.lin1`, attention)) as tf.Tensor2D; // [batch * seq, hidden_dim]
    const ffn = dropout(linear(p, `${prefix}ffn.lin2`, inner), config.dropout, drop, `${site}/ffn`);
    hidden = addLayerNorm(ffn, attention, vector(p, `${prefix}output_layer_norm.weight`), vector(p, `${prefix}output_layer_norm.bias`), eps) as tf.Tensor2D;
  }
  return hidden;
}
