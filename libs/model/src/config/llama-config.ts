import { z } from 'zod';
import { isObject, parseConfigWith, type FieldIssue } from './bert-config.ts';

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();
/** `eos_token_id` is one id or a list (Llama 3 instruct models end on any of several). */
const tokenIds = z.union([tokenId, z.array(tokenId).min(1)]);

/** The `rope_scaling.rope_type` values tunefleet computes (transformers' ROPE_INIT_FUNCTIONS of the same names). */
export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

/**
 * `rope_scaling` as transformers reads it: `rope_type` (older files: `type`) and its parameters.
 * "linear" divides positions by `factor`; "dynamic" (NTK) raises the base once a sequence is longer
 * than max_position_embeddings; "llama3" rescales the low frequencies (Llama 3.1's `factor`,
 * `low_freq_factor`, `high_freq_factor`, `original_max_position_embeddings`). Others (yarn, longrope)
 * are refused by name.
 */
const RopeScalingSchema = z.looseObject({
  rope_type: z.string().optional(),
  type: z.string().optional(),
  factor: z.number().positive().optional(),
  low_freq_factor: z.number().positive().optional(),
  high_freq_factor: z.number().positive().optional(),
  original_max_position_embeddings: positiveInt.optional(),
});

/**
 * Hugging Face `LlamaConfig` and `Qwen2Config` (config.json), with each class's defaults. The two
 * are one architecture: RMSNorm, RoPE, SwiGLU MLP, grouped-query attention (`num_key_value_heads`);
 * Llama has q/k/v/o biases when `attention_bias`, Qwen2 always has q/k/v biases and none on o_proj.
 * `head_dim` defaults to hidden_size / num_attention_heads.
 */
function llamaSchema<T extends 'llama' | 'qwen2'>(modelType: T) {
  const qwen = modelType === 'qwen2';
  return z
    .looseObject({
      model_type: z.literal(modelType),
      architectures: z.array(z.string()).optional(),
      vocab_size: positiveInt.default(qwen ? 151936 : 32000),
      hidden_size: positiveInt.default(4096),
      intermediate_size: positiveInt.default(qwen ? 22016 : 11008),
      num_hidden_layers: positiveInt.default(32),
      num_attention_heads: positiveInt.default(32),
      num_key_value_heads: positiveInt.nullable().optional(),
      head_dim: positiveInt.nullable().optional(),
      hidden_act: z.literal('silu', { error: 'only "silu" (SwiGLU) is implemented' }).default('silu'),
      max_position_embeddings: positiveInt.default(qwen ? 32768 : 2048),
      initializer_range: z.number().positive().default(0.02),
      rms_norm_eps: z.number().positive().default(1e-6),
      bos_token_id: tokenId.nullable().default(qwen ? null : 1),
      eos_token_id: tokenIds.nullable().default(qwen ? null : 2),
      pad_token_id: tokenId.nullable().optional(),
      tie_word_embeddings: z.boolean().default(false),
      rope_theta: z.number().positive().default(10000),
      rope_scaling: RopeScalingSchema.nullable().default(null),
      attention_bias: z.boolean().default(false),
      attention_dropout: z.number().min(0).lt(1).default(0),
      mlp_bias: z.boolean().default(false),
      // Qwen2's sliding window attention (off in every released Qwen2 config).
      use_sliding_window: z.literal(false, { error: 'sliding-window attention (use_sliding_window true) is not implemented' }).optional(),
    })
    .superRefine((config, ctx) => {
      for (const issue of llamaIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }, { when: (payload) => isObject(payload.value) });
}

export const LlamaConfigSchema = llamaSchema('llama');
export const Qwen2ConfigSchema = llamaSchema('qwen2');

export type LlamaConfig = z.output<typeof LlamaConfigSchema> | z.output<typeof Qwen2ConfigSchema>;

/** Validates `json` as a LlamaConfig (`model_type` "llama") or Qwen2Config ("qwen2"), every bad field at once. */
export function parseLlamaConfig(json: unknown, file: string): LlamaConfig {
  const schema = isObject(json) && json.model_type === 'qwen2' ? Qwen2ConfigSchema : LlamaConfigSchema;
  const defaults = { hidden_size: 4096, num_attention_heads: 32 };
  return parseConfigWith(schema, json, file, (raw) => llamaIssues({ ...defaults, ...raw }));
}

function llamaIssues(config: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { hidden_size: hidden, num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim: headDim, vocab_size: vocab } = config;
  if (isCount(hidden) && isCount(heads) && !isCount(headDim) && hidden % heads !== 0) {
    issues.push({ path: ['hidden_size'], message: `hidden_size ${hidden} is not divisible by num_attention_heads ${heads} (and head_dim is not set)` });
  }
  if (isCount(heads) && isCount(kvHeads) && heads % kvHeads !== 0) {
    issues.push({ path: ['num_key_value_heads'], message: `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}` });
  }
  for (const field of ['bos_token_id', 'pad_token_id'] as const) {
    const id = config[field];
    if (isCount(vocab) && typeof id === 'number' && id >= vocab) issues.push({ path: [field], message: `${field} ${id} is not below vocab_size ${vocab}` });
  }
  if (isObject(config.rope_scaling)) issues.push(...ropeScalingIssues(config.rope_scaling));
  return issues;
}

function ropeScalingIssues(scaling: Record<string, unknown>): FieldIssue[] {
  const type = scaling.rope_type ?? scaling.type;
  if (type === undefined) return [{ path: ['rope_scaling', 'rope_type'], message: 'rope_scaling has no rope_type (or type)' }];
  if (!ROPE_TYPES.includes(type as RopeType)) {
    return [{ path: ['rope_scaling', 'rope_type'], message: `rope_type ${JSON.stringify(type)} is not implemented; tunefleet computes ${ROPE_TYPES.join(', ')}` }];
  }
  const needed = type === 'llama3' ? ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] : type === 'default' ? [] : ['factor'];
  return needed.filter((field) => scaling[field] === undefined).map((field) => ({ path: ['rope_scaling', field], message: `rope_type "${String(type)}" needs ${field}` }));
}

/** Key/value heads: num_key_value_heads, else num_attention_heads (multi-head attention). */
export function llamaKeyValueHeads(config: LlamaConfig): number {
  return config.num_key_value_heads ?? config.num_attention_heads;
}

/** Width of one head: head_dim, else hidden_size / num_attention_heads. */
export function llamaHeadDim(config: LlamaConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/** Whether q/k/v (and o) projections have biases: Qwen2 on q/k/v always, Llama on all four with attention_bias. */
export function llamaBiases(config: LlamaConfig): { qkv: boolean; output: boolean } {
  if (config.model_type === 'qwen2') return { qkv: true, output: false };
  return { qkv: config.attention_bias, output: config.attention_bias };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
