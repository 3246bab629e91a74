import type { ModelConfig, ModelType } from './model-config.ts';
import { parseModelConfig } from './model-config.ts';
import { BERT_PRESETS, type BertPresetName } from './presets.ts';

/** What a new model takes from its tokenizer and its head. */
export interface FamilyPresetFields {
  readonly vocabSize: number;
  readonly padTokenId: number;
  /** `<s>` / `</s>` (RoBERTa, XLM-R), `<|endoftext|>` (GPT-2); BERT and DistilBERT do not write them. */
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  readonly id2label?: Record<string, string>;
  readonly label2id?: Record<string, number>;
}

/**
 * A config of `modelType` at one of BERT's sizes (Google's miniatures, base), with the tokenizer's
 * vocabulary and special ids. DistilBERT names the sizes `n_layers`/`dim`/`n_heads`/`hidden_dim`;
 * RoBERTa and XLM-R take roberta-base's own fields (positions 512 + pad_token_id + 1, one token
 * type, LayerNorm eps 1e-5). GPT-2 takes the sizes as n_layer/n_embd/n_head with GPT-2's 1024
 * positions; Llama and Qwen2 take them with multi-head attention (num_key_value_heads = heads),
 * 2048 positions and tied embeddings at these small sizes (as SmolLM); the causal families have no labels.
 * Marian takes them as encoder and decoder layers/d_model/heads (ffn 4 x d_model) with the opus-mt
 * settings: swish, scaled embeddings, 512 sinusoidal positions, decoder_start_token_id = pad, the
 * pad token never generated (bad_words_ids), EOS forced at max_length, beam search of 4.
 */
export function familyPresetConfig(modelType: ModelType, preset: BertPresetName, fields: FamilyPresetFields): ModelConfig {
  const bert = BERT_PRESETS[preset];
  const labels = { ...(fields.id2label ? { id2label: fields.id2label } : {}), ...(fields.label2id ? { label2id: fields.label2id } : {}) };
  const source = `<preset ${preset} ${modelType}>`;
  switch (modelType) {
    case 'bert':
      return parseModelConfig({ ...bert, vocab_size: fields.vocabSize, pad_token_id: fields.padTokenId, ...labels }, source);
    case 'distilbert':
      return parseModelConfig(
        {
          model_type: 'distilbert',
          vocab_size: fields.vocabSize,
          pad_token_id: fields.padTokenId,
          n_layers: bert.num_hidden_layers,
          dim: bert.hidden_size,
          n_heads: bert.num_attention_heads,
          hidden_dim: bert.intermediate_size,
          max_position_embeddings: bert.max_position_embeddings,
          ...labels,
        },
        source,
      );
    case 'roberta':
    case 'xlm-roberta':
      return parseModelConfig(
        {
          model_type: modelType,
          vocab_size: fields.vocabSize,
          hidden_size: bert.hidden_size,
          num_hidden_layers: bert.num_hidden_layers,
          num_attention_heads: bert.num_attention_heads,
          intermediate_size: bert.intermediate_size,
          max_position_embeddings: 512 + fields.padTokenId + 1,
          type_vocab_size: 1,
          layer_norm_eps: 1e-5,
          pad_token_id: fields.padTokenId,
          bos_token_id: fields.bosTokenId ?? 0,
          eos_token_id: fields.eosTokenId ?? 2,
          ...labels,
        },
        source,
      );
    case 'gpt2':
      return parseModelConfig(
        {
          model_type: 'gpt2',
          vocab_size: fields.vocabSize,
          n_layer: bert.num_hidden_layers,
          n_embd: bert.hidden_size,
          n_head: bert.num_attention_heads,
          n_positions: 1024,
          bos_token_id: fields.bosTokenId ?? fields.eosTokenId ?? null,
          eos_token_id: fields.eosTokenId ?? null,
          ...(fields.padTokenId === fields.eosTokenId ? {} : { pad_token_id: fields.padTokenId }),
        },
        source,
      );
    case 'llama':
    case 'qwen2':
      return parseModelConfig(
        {
          model_type: modelType,
          vocab_size: fields.vocabSize,
          hidden_size: bert.hidden_size,
          num_hidden_layers: bert.num_hidden_layers,
          num_attention_heads: bert.num_attention_heads,
          num_key_value_heads: bert.num_attention_heads,
          intermediate_size: bert.intermediate_size,
          max_position_embeddings: 2048,
          tie_word_embeddings: true,
          bos_token_id: fields.bosTokenId ?? null,
          eos_token_id: fields.eosTokenId ?? null,
          pad_token_id: fields.padTokenId,
        },
        source,
      );
    case 'marian':
      return parseModelConfig(
        {
          model_type: 'marian',
          vocab_size: fields.vocabSize,
          d_model: bert.hidden_size,
          encoder_layers: bert.num_hidden_layers,
          decoder_layers: bert.num_hidden_layers,
          encoder_attention_heads: bert.num_attention_heads,
          decoder_attention_heads: bert.num_attention_heads,
          encoder_ffn_dim: bert.intermediate_size,
          decoder_ffn_dim: bert.intermediate_size,
          max_position_embeddings: 512,
          activation_function: 'swish',
          scale_embedding: true,
          static_position_embeddings: true,
          pad_token_id: fields.padTokenId,
          decoder_start_token_id: fields.padTokenId,
          eos_token_id: fields.eosTokenId ?? 0,
          forced_eos_token_id: fields.eosTokenId ?? 0,
          bad_words_ids: [[fields.padTokenId]],
          max_length: 512,
          num_beams: 4,
        },
        source,
      );
  }
}
