import { z } from 'zod';
import { isObject, parseConfigWith, type FieldIssue } from './bert-config.ts';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const tokenId = z.number().int().nonnegative();

/** The activations GPT-2 configs name that tunefleet computes ("gelu_new" is GPT-2's tanh approximation). */
export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'relu'] as const;

/**
 * Hugging Face `GPT2Config` (config.json) with its defaults (those of the `gpt2` checkpoint): learned
 * positions `n_positions`, `n_embd` wide, `n_layer` blocks of `n_head` heads, MLP `n_inner` (null: 4 x
 * n_embd). Unknown keys (`summary_*`, `task_specific_params`, ...) are kept for the round trip.
 */
export const Gpt2ConfigSchema = z
  .looseObject({
    model_type: z.literal('gpt2'),
    architectures: z.array(z.string()).optional(),
    vocab_size: positiveInt.default(50257),
    n_positions: positiveInt.default(1024),
    n_embd: positiveInt.default(768),
    n_layer: positiveInt.default(12),
    n_head: positiveInt.default(12),
    n_inner: positiveInt.nullable().default(null),
    activation_function: z.enum(GPT2_ACTIVATIONS, { error: `activation_function must be one of ${GPT2_ACTIVATIONS.join(', ')}` }).default('gelu_new'),
    resid_pdrop: probability.default(0.1),
    embd_pdrop: probability.default(0.1),
    attn_pdrop: probability.default(0.1),
    layer_norm_epsilon: z.number().positive().default(1e-5),
    initializer_range: z.number().positive().default(0.02),
    scale_attn_weights: z.boolean().default(true),
    scale_attn_by_inverse_layer_idx: z.boolean().default(false),
    // An fp16 trick in transformers; in float32 the scores are the same.
    reorder_and_upcast_attn: z.boolean().default(false),
    bos_token_id: tokenId.nullable().default(50256),
    eos_token_id: tokenId.nullable().default(50256),
    pad_token_id: tokenId.nullable().optional(),
    tie_word_embeddings: z.boolean().default(true),
  })
  .superRefine((config, ctx) => {
    for (const issue of gpt2Issues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }, { when: (payload) => isObject(payload.value) });

export type Gpt2Config = z.output<typeof Gpt2ConfigSchema>;

/** Validates `json` as a GPT2Config (`model_type` "gpt2"), every bad field at once. */
export function parseGpt2Config(json: unknown, file: string): Gpt2Config {
  const defaults = { n_embd: 768, n_head: 12, vocab_size: 50257 };
  return parseConfigWith(Gpt2ConfigSchema, json, file, (raw) => gpt2Issues({ ...defaults, ...raw }));
}

function gpt2Issues(config: Record<string, unknown>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { n_embd: hidden, n_head: heads, vocab_size: vocab } = config;
  if (isCount(hidden) && isCount(heads) && hidden % heads !== 0) issues.push({ path: ['n_embd'], message: `n_embd ${hidden} is not divisible by n_head ${heads}` });
  // bos/eos default to 50256 (GPT-2's <|endoftext|>) whatever the vocabulary, as GPT2Config does; an explicit pad must fit.
  const pad = config.pad_token_id;
  if (isCount(vocab) && typeof pad === 'number' && Number.isInteger(pad) && pad >= vocab) issues.push({ path: ['pad_token_id'], message: `pad_token_id ${pad} is not below vocab_size ${vocab}` });
  return issues;
}

/** MLP width of a GPT-2 block: n_inner, else 4 x n_embd (transformers' rule). */
export function gpt2InnerSize(config: Gpt2Config): number {
  return config.n_inner ?? 4 * config.n_embd;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
