import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@tunefleet/core';
import { disposeKeyValueCache, type KeyValueCache } from '../layers/causal-attention.ts';
import type { DecoderModel } from '../layers/decoder-model.ts';
import { eosTokenIds, GenerationConfigSchema, parseGenerationConfig, type GenerationConfig } from './generation-config.ts';
import { GenerationError } from './generation-error.ts';
import { applyRepetitionPenalty, applyTemperature, applyTopK, applyTopP, argmax, sampleFrom } from './logits-processors.ts';

/** Why generation stopped: an end-of-sequence id, a stop string, the token budget, or the model's context. */
export type FinishReason = 'eos' | 'stop-string' | 'length' | 'context';

export interface GenerateOptions {
  /** Settings over the model's generation_config.json (transformers' `generate(**kwargs)`); validated. */
  readonly config?: Partial<GenerationConfig>;
  /** The model's own generation config (generation_config.json); defaults when absent. */
  readonly base?: GenerationConfig;
  /** Seed of the sampler: the same seed, prompt and settings give the same tokens. */
  readonly seed?: number;
  /** Ids → text, needed for `stop_strings` (the tokenizer's decode). */
  readonly decode?: (ids: readonly number[]) => string;
  /** Called with each new token as soon as it is chosen (streaming). */
  readonly onToken?: (id: number) => void;
}

export interface GenerateResult {
  /** The new tokens (the prompt excluded), the EOS id or the stop string's tokens included, as transformers returns them. */
  readonly tokens: number[];
  readonly finishReason: FinishReason;
}

/**
 * transformers' `generate` for one prompt: greedy search, or sampling when `do_sample` (temperature,
 * top-k, top-p), with the repetition penalty, until an EOS id, a stop string in the generated text,
 * `max_new_tokens` (else `max_length` counting the prompt) or the model's context. With `use_cache`
 * (the default) the prompt is run once and each new token is one decoder step over that token; without
 * it every step runs the whole sequence again (the same tokens, more work).
 */
export function generate(model: DecoderModel<unknown>, prompt: readonly number[], options: GenerateOptions = {}): GenerateResult {
  const config = parseGenerationConfig({ ...(options.base ?? GenerationConfigSchema.parse({})), ...options.config }, 'generation options');
  if (prompt.length === 0) throw new GenerationError('GENERATION_INPUT_INVALID', 'the prompt is empty: give at least one token (e.g. bos_token_id)');
  const stopStrings = config.stop_strings === null || config.stop_strings === undefined ? [] : [config.stop_strings].flat();
  if (stopStrings.length > 0 && options.decode === undefined) {
    throw new GenerationError('GENERATION_INPUT_INVALID', `stop_strings ${JSON.stringify(stopStrings)} need a decode function (the tokenizer) to match text`);
  }
  const budget = config.max_new_tokens ?? config.max_length - prompt.length;
  const contextRoom = model.contextLimit === undefined ? Infinity : model.contextLimit.length - prompt.length;
  if (contextRoom <= 0) {
    throw new GenerationError('GENERATION_CONTEXT_FULL', `the prompt has ${prompt.length} tokens, the model's context (${model.contextLimit!.source}) leaves no room for a new one`);
  }
  const eos = new Set(eosTokenIds(config));
  const random = mulberry32(options.seed ?? 0);
  const ids = [...prompt];
  const tokens: number[] = [];
  let cache: KeyValueCache | undefined;
  let finishReason: FinishReason = 'length';
  try {
    while (tokens.length < budget) {
      if (tokens.length >= contextRoom) {
        finishReason = 'context';
        break;
      }
      const scores = nextScores(model, ids, config.use_cache, cache);
      cache = scores.cache;
      const next = choose(scores.row, ids, config, random);
      ids.push(next);
      tokens.push(next);
      options.onToken?.(next);
      if (eos.has(next)) {
        finishReason = 'eos';
        break;
      }
      if (stopStrings.length > 0) {
        const text = options.decode!(tokens);
        if (stopStrings.some((stop) => text.includes(stop))) {
          finishReason = 'stop-string';
          break;
        }
      }
    }
  } finally {
    disposeKeyValueCache(cache);
  }
  return { tokens, finishReason };
}

/** The next-token scores of `ids`: one step over the newest token with the cache, the whole sequence without. */
function nextScores(model: DecoderModel<unknown>, ids: readonly number[], useCache: boolean, cache: KeyValueCache | undefined): { row: Float32Array; cache: KeyValueCache | undefined } {
  const fresh = useCache && cache !== undefined ? ids.slice(cache.length) : ids;
  const out = model.decode({ batchSize: 1, seqLength: fresh.length, inputIds: Int32Array.from(fresh), ...(useCache && cache !== undefined ? { cache } : {}) });
  const row = tf.tidy(() => tf.slice(out.logits, [0, fresh.length - 1, 0], [1, 1, model.vocabSize]).dataSync() as Float32Array);
  out.logits.dispose();
  disposeKeyValueCache(cache);
  if (!useCache) {
    disposeKeyValueCache(out.cache);
    return { row: Float32Array.from(row), cache: undefined };
  }
  return { row: Float32Array.from(row), cache: out.cache };
}

function choose(scores: Float32Array, seen: readonly number[], config: GenerationConfig, random: () => number): number {
  applyRepetitionPenalty(scores, seen, config.repetition_penalty);
  if (!config.do_sample) return argmax(scores);
  applyTemperature(scores, config.temperature);
  if (config.top_k !== null) applyTopK(scores, config.top_k);
  if (config.top_p !== null) applyTopP(scores, config.top_p);
  return sampleFrom(scores, random);
}
