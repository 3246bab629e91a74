import { z } from 'zod';
import { isObject, parseConfigWith, type FieldIssue } from './bert-config.ts';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const tokenId = z.number().int().nonnegative();

/** The activations Marian configs name that tunefleet computes (transformers' ACT2FN; opus-mt uses "swish"). */
export const MARIAN_ACTIVATIONS = ['gelu', 'relu', 'swish', 'silu', 'gelu_new', 'gelu_pytorch_tanh'] as const;
export type MarianActivation = (typeof MARIAN_ACTIVATIONS)[number];

/**
 * Hugging Face `MarianConfig` (config.json) with its defaults: a post-LN encoder-decoder (BART's
 * layout without layernorm_embedding), `d_model` wide, token embeddings `model.shared` shared by
 * encoder and decoder, sinusoidal positions of `max_position_embeddings` rows, `scale_embedding`
 * (sqrt(d_model)), the LM head tied to the embeddings unless `tie_word_embeddings` is false, and
 * `decoder_start_token_id` = `pad_token_id` as Marian trains it. `static_position_embeddings`
 * (opus-mt configs carry it; default true) false makes `embed_positions.weight` a trained parameter.
 * Generation fields (`num_beams`, `max_length`, `bad_words_ids`, `forced_eos_token_id`) are kept and
 * read by `generationConfigFromModelConfig`. Unknown keys are kept for the round trip.
 */
export const MarianConfigSchema = z
  .looseObject({
    model_type: z.literal('marian'),
    architectures: z.array(z.string()).optional(),
    vocab_size: positiveInt.default(58101),
    decoder_vocab_size: positiveInt.nullable().optional(),
    max_position_embeddings: positiveInt.default(1024),
    d_model: positiveInt.default(1024),
    encoder_layers: positiveInt.default(12),
    encoder_ffn_dim: positiveInt.default(4096),
    encoder_attention_heads: positiveInt.default(16),
    decoder_layers: positiveInt.default(12),
    decoder_ffn_dim: positiveInt.default(4096),
    decoder_attention_heads: positiveInt.default(16),
    encoder_layerdrop: z.literal(0, { error: 'encoder_layerdrop other than 0 is not implemented' }).default(0),
    decoder_layerdrop: z.literal(0, { error: 'decoder_layerdrop other than 0 is not implemented' }).default(0),
    activation_function: z.enum(MARIAN_ACTIVATIONS, { error: `activation_function must be one of ${MARIAN_ACTIVATIONS.join(', ')}` }).default('gelu'),
    dropout: probability.default(0.1),
    attention_dropout: probability.default(0),
    activation_dropout: probability.default(0),
    init_std: z.number().positive().default(0.02),
    scale_embedding: z.boolean().default(false),
    static_position_embeddings: z.boolean().default(true),
    share_encoder_decoder_embeddings: z.literal(true, { error: 'share_encoder_decoder_embeddings false (separate source and target embeddings) is not implemented' }).default(true),
    tie_word_embeddings: z.boolean().default(true),
    is_encoder_decoder: z.literal(true).default(true),
    use_cache: z.boolean().default(true),
    pad_token_id: tokenId.default(58100),
    eos_token_id: tokenId.default(0),
    bos_token_id: tokenId.nullable().optional(),
    decoder_start_token_id: tokenId.default(58100),
    forced_eos_token_id: tokenId.nullable().default(0),
  })
  .superRefine((config, ctx) => {
    for (const issue of marianIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }, { when: (payload) => isObject(payload.value) });

export type MarianConfig = z.output<typeof MarianConfigSchema>;

/** Validates `json` as a MarianConfig (`model_type` "marian"), every bad field at once. */
export function parseMarianConfig(json: unknown, file: string): MarianConfig {
  const defaults = { vocab_size: 58101, d_model: 1024, encoder_attention_heads: 16, decoder_attention_heads: 16, pad_token_id: 58100, eos_token_id: 0, decoder_start_token_id: 58100 };
  return parseConfigWith(MarianConfigSchema, json, file, (raw) => marianIssues({ ...defaults, ...raw }));
}

function marianIssues(config: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { d_model: width, vocab_size: vocab } = config;
  for (const field of ['encoder_attention_heads', 'decoder_attention_heads'] as const) {
    const heads = config[field];
    if (isCount(width) && isCount(heads) && width % heads !== 0) issues.push({ path: [field], message: `d_model ${width} is not divisible by ${field} ${heads}` });
  }
  if (!isCount(vocab)) return issues;
  for (const field of ['pad_token_id', 'eos_token_id', 'decoder_start_token_id', 'bos_token_id', 'forced_eos_token_id'] as const) {
    const id = config[field];
    if (typeof id === 'number' && Number.isInteger(id) && id >= vocab) issues.push({ path: [field], message: `${field} ${id} is not below vocab_size ${vocab}` });
  }
  const decoderVocab = config.decoder_vocab_size;
  if (typeof decoderVocab === 'number' && decoderVocab !== vocab) {
    issues.push({ path: ['decoder_vocab_size'], message: `decoder_vocab_size ${decoderVocab} differs from vocab_size ${vocab}; with shared embeddings they are one table` });
  }
  return issues;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
