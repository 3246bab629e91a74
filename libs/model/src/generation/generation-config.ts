import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GenerationError } from './generation-error.ts';

const tokenId = z.number().int().nonnegative();
const tokenIds = z.union([tokenId, z.array(tokenId)]);

/**
 * `generation_config.json` as transformers' `GenerationConfig` reads it, with its defaults: greedy
 * unless `do_sample`; sampling warps the logits by `temperature`, then `top_k`, then `top_p`;
 * `repetition_penalty` (CTRL's: positive logits of seen tokens divided, negative ones multiplied);
 * stop at `eos_token_id` (one id or several), at a `stop_strings` match, or after `max_new_tokens`
 * (else `max_length` counting the prompt, default 20). Unknown keys are kept for the round trip.
 * Encoder-decoders (Marian) also read: `num_beams` (beam search when > 1), `length_penalty` (a
 * finished hypothesis scores sum log-probs / length ** length_penalty), `early_stopping` (true: stop
 * once num_beams hypotheses are finished; false: when no open beam can beat them; "never": only at
 * max_length), `no_repeat_ngram_size`, `bad_words_ids` (Marian bans its pad token), forced
 * BOS/EOS ids (the first token; the token at max_length - 1), `renormalize_logits` (log-softmax again
 * after the processors, as opus-mt's generation configs set) and `decoder_start_token_id`; their
 * `max_length` counts the decoder start token.
 */
export const GenerationConfigSchema = z.looseObject({
  max_new_tokens: z.number().int().positive().nullable().optional(),
  max_length: z.number().int().positive().default(20),
  do_sample: z.boolean().default(false),
  temperature: z.number().positive().default(1),
  top_k: z.number().int().nonnegative().nullable().default(50),
  top_p: z.number().gt(0).max(1).nullable().default(1),
  repetition_penalty: z.number().positive().default(1),
  use_cache: z.boolean().default(true),
  bos_token_id: tokenId.nullable().optional(),
  eos_token_id: tokenIds.nullable().optional(),
  pad_token_id: tokenId.nullable().optional(),
  stop_strings: z.union([z.string().min(1), z.array(z.string().min(1))]).nullable().optional(),
  num_beams: z.number().int().positive().default(1),
  length_penalty: z.number().default(1),
  early_stopping: z.union([z.boolean(), z.literal('never')]).default(false),
  no_repeat_ngram_size: z.number().int().nonnegative().default(0),
  bad_words_ids: z.array(z.array(tokenId).min(1)).nullable().optional(),
  forced_bos_token_id: tokenId.nullable().optional(),
  forced_eos_token_id: tokenIds.nullable().optional(),
  decoder_start_token_id: tokenId.nullable().optional(),
  renormalize_logits: z.boolean().default(false),
});

/**
 * The generation fields transformers' `GenerationConfig.from_model_config` takes from a config.json
 * that carries them (Marian's opus-mt configs hold num_beams, max_length, bad_words_ids, ...).
 */
const MODEL_CONFIG_GENERATION_FIELDS = [
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'decoder_start_token_id',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'bad_words_ids',
  'num_beams',
  'max_length',
  'length_penalty',
  'early_stopping',
  'no_repeat_ngram_size',
] as const;

export type GenerationConfig = z.output<typeof GenerationConfigSchema>;

/** Validates generation settings (a generation_config.json, or options merged over one); every bad field at once. */
export function parseGenerationConfig(json: unknown, source: string): GenerationConfig {
  const result = GenerationConfigSchema.safeParse(json);
  if (result.success) return Object.freeze(result.data);
  const issues = result.error.issues.map((issue) => `${issue.path.length === 0 ? '(root)' : issue.path.join('.')}: ${issue.message}`);
  throw new GenerationError('GENERATION_CONFIG_INVALID', `${source}: ${issues.length} invalid field(s): ${issues.join('; ')}`);
}

/**
 * transformers' `GenerationConfig.from_model_config`: the special ids of config.json and the
 * generation fields it carries (MODEL_CONFIG_GENERATION_FIELDS), every other field at its default.
 */
export function generationConfigFromModelConfig(config: { readonly [field in (typeof MODEL_CONFIG_GENERATION_FIELDS)[number]]?: unknown }): GenerationConfig {
  const ids = Object.fromEntries(MODEL_CONFIG_GENERATION_FIELDS.filter((key) => config[key] !== undefined && config[key] !== null).map((key) => [key, config[key]]));
  return parseGenerationConfig({ ...ids, _from_model_config: true }, 'config.json');
}

/**
 * `dir/generation_config.json` if the model directory has one, else the defaults from its
 * config.json's special ids (as `from_pretrained` does).
 */
export async function readGenerationConfig(dir: string, modelConfig: Parameters<typeof generationConfigFromModelConfig>[0]): Promise<GenerationConfig> {
  const file = join(dir, 'generation_config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return generationConfigFromModelConfig(modelConfig);
    throw new GenerationError('GENERATION_CONFIG_IO', `${file}: cannot read: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GenerationError('GENERATION_CONFIG_INVALID', `${file}: not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseGenerationConfig(json, file);
}

/**
 * Writes `dir/generation_config.json` as transformers does (sorted keys, 2-space indent) with only
 * the fields that differ from the defaults, plus the special ids; atomically.
 */
export async function writeGenerationConfig(dir: string, config: GenerationConfig): Promise<void> {
  const defaults = GenerationConfigSchema.parse({}) as Record<string, unknown>;
  const entries = Object.entries(config as Record<string, unknown>)
    .filter(([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify(defaults[key]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const file = join(dir, 'generation_config.json');
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`, 'utf8');
    await rename(temporary, file);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new GenerationError('GENERATION_CONFIG_IO', `${file}: cannot write: ${(cause as Error).message}`, { cause });
  }
}

/** The end-of-sequence ids of a generation config, as a list (`eos_token_id` may be one id or several). */
export function eosTokenIds(config: GenerationConfig): number[] {
  const eos = config.eos_token_id;
  if (eos === undefined || eos === null) return [];
  return Array.isArray(eos) ? [...eos] : [eos];
}
