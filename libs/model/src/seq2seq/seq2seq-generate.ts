import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@tunefleet/core';
import { BeamSearchScorer, type BeamCandidate } from '../generation/beam-search.ts';
import { eosTokenIds, generationConfigFromModelConfig, parseGenerationConfig, type GenerationConfig } from '../generation/generation-config.ts';
import { GenerationError } from '../generation/generation-error.ts';
import { applyBadWords, applyForcedTokens, applyNoRepeatNgram, applyRepetitionPenalty, applyTemperature, applyTopK, applyTopP, argmax, logSoftmax, sampleFrom } from '../generation/logits-processors.ts';
import type { EncoderDecoderModel } from './encoder-decoder-model.ts';
import { disposeEncoderOutput, disposeSeq2SeqCache, reorderSeq2SeqCache, type EncoderOutput, type Seq2SeqCache } from './seq2seq-cache.ts';

export interface Seq2SeqGenerateOptions {
  /** Settings over the model's generation_config.json (transformers' `generate(**kwargs)`); validated. */
  readonly config?: Partial<GenerationConfig>;
  /** The model's own generation config (generation_config.json); when absent, the one transformers derives from its config.json. */
  readonly base?: GenerationConfig;
  /** Seed of the sampler (do_sample). */
  readonly seed?: number;
}

export interface Seq2SeqGenerateResult {
  /** Per source, the generated tokens (the decoder start token excluded, the EOS included when one ended it). */
  readonly sequences: number[][];
  /** Per source: 'eos' when an EOS ended it, else 'length' (max_new_tokens / max_length / the position table). */
  readonly finishReasons: ('eos' | 'length')[];
}

type Model = EncoderDecoderModel<unknown>;

/**
 * transformers' `generate` for an encoder-decoder: the sources (a batch, padded here) are encoded once;
 * the decoder starts from `decoder_start_token_id` and runs one step per new token over the key/value
 * cache (without `use_cache` it reruns every target position each step: the same tokens, more work).
 * Greedy (or sampling with `do_sample`) when `num_beams` is 1, else beam search with
 * BeamSearchScorer's semantics. Logits processors in transformers' order: repetition penalty,
 * no_repeat_ngram_size, bad_words_ids, forced BOS (first token), forced EOS (at max_length - 1), then `renormalize_logits`;
 * beam search applies them to the log-softmax. `max_new_tokens`, else `max_length`, counts the decoder
 * start token as transformers does; neither may pass the model's position table.
 */
export function generateSeq2Seq(model: Model, sources: readonly (readonly number[])[], options: Seq2SeqGenerateOptions = {}): Seq2SeqGenerateResult {
  const base = options.base ?? generationConfigFromModelConfig(model.config as Parameters<typeof generationConfigFromModelConfig>[0]);
  const config = parseGenerationConfig({ ...base, ...options.config }, 'generation options');
  if (sources.length === 0 || sources.some((source) => source.length === 0)) {
    throw new GenerationError('GENERATION_INPUT_INVALID', `source ${sources.findIndex((source) => source.length === 0)} is empty: give at least one token (e.g. the EOS id)`);
  }
  if (config.do_sample && config.num_beams > 1) throw new GenerationError('GENERATION_INPUT_INVALID', 'do_sample with num_beams > 1 (beam sampling) is not implemented; use one of them');
  const start = config.decoder_start_token_id ?? model.decoderStartTokenId;
  const maxLength = Math.min(config.max_new_tokens === null || config.max_new_tokens === undefined ? config.max_length : config.max_new_tokens + 1, model.positionLimit.length);
  if (maxLength < 2) {
    throw new GenerationError('GENERATION_INPUT_INVALID', `max_length ${maxLength} counts the decoder start token and leaves no room for a new one; raise max_length or give max_new_tokens`);
  }
  const settings: StepSettings = { config, maxLength, eos: eosTokenIds(config), pad: config.pad_token_id ?? model.padTokenId };
  const rows = config.num_beams;
  const encoder = encodeSources(model, sources, rows, settings.pad);
  try {
    return rows > 1 ? beamSearch(model, encoder, sources.length, start, settings) : greedy(model, encoder, start, settings, mulberry32(options.seed ?? 0));
  } finally {
    disposeEncoderOutput(encoder);
  }
}

interface StepSettings {
  readonly config: GenerationConfig;
  readonly maxLength: number;
  readonly eos: readonly number[];
  readonly pad: number;
}

/** The sources right-padded into one batch and encoded; each row repeated `repeat` times (the beams). */
function encodeSources(model: Model, sources: readonly (readonly number[])[], repeat: number, pad: number): EncoderOutput {
  const sourceLength = Math.max(...sources.map((source) => source.length));
  const inputIds = new Int32Array(sources.length * sourceLength).fill(pad);
  const attentionMask = new Int32Array(sources.length * sourceLength);
  sources.forEach((source, b) => {
    inputIds.set(source, b * sourceLength);
    attentionMask.fill(1, b * sourceLength, b * sourceLength + source.length);
  });
  const encoded = model.encode({ batchSize: sources.length, sourceLength, inputIds, attentionMask });
  if (repeat === 1) return encoded;
  const rows = Array.from({ length: sources.length * repeat }, (_, i) => Math.floor(i / repeat));
  const hidden = tf.tidy(() => tf.gather(encoded.hidden, tf.tensor1d(Int32Array.from(rows), 'int32')) as tf.Tensor3D);
  disposeEncoderOutput(encoded);
  const mask = new Int32Array(rows.length * sourceLength);
  rows.forEach((source, row) => mask.set(attentionMask.subarray(source * sourceLength, (source + 1) * sourceLength), row * sourceLength));
  return { batchSize: rows.length, sourceLength, hidden, attentionMask: mask };
}

/**
 * One decoder step for every row: the last-position logits `[rows][vocab]` of `sequences`, over the
 * cache (its new tokens only) or, without it, the whole sequences again.
 */
function step(model: Model, encoder: EncoderOutput, sequences: readonly number[][], cache: Seq2SeqCache | undefined, useCache: boolean): { logits: Float32Array[]; cache: Seq2SeqCache | undefined } {
  const length = sequences[0].length;
  const fresh = useCache && cache !== undefined ? 1 : length;
  const ids = Int32Array.from(sequences.flatMap((sequence) => sequence.slice(length - fresh)));
  const out = model.decode({ batchSize: sequences.length, seqLength: fresh, decoderInputIds: ids, encoder, ...(useCache && cache !== undefined ? { cache } : {}) });
  const vocab = model.vocabSize;
  const last = tf.tidy(() => tf.slice(out.logits, [0, fresh - 1, 0], [sequences.length, 1, vocab]).dataSync() as Float32Array);
  out.logits.dispose();
  if (cache !== undefined) disposeSeq2SeqCache(cache, { keepCross: true });
  const logits = sequences.map((_, row) => Float32Array.from(last.subarray(row * vocab, (row + 1) * vocab)));
  if (!useCache) {
    disposeSeq2SeqCache(out.cache);
    return { logits, cache: undefined };
  }
  return { logits, cache: out.cache };
}

/** transformers' logits processors, in its order, on one row's scores; `ids` the row's decoder inputs so far. */
function processScores(scores: Float32Array | Float64Array, ids: readonly number[], s: StepSettings): void {
  const c = s.config;
  applyRepetitionPenalty(scores, ids, c.repetition_penalty);
  applyNoRepeatNgram(scores, ids, c.no_repeat_ngram_size);
  if (c.bad_words_ids) applyBadWords(scores, ids, c.bad_words_ids);
  if (c.forced_bos_token_id !== null && c.forced_bos_token_id !== undefined && ids.length === 1) applyForcedTokens(scores, [c.forced_bos_token_id]);
  const forcedEos = c.forced_eos_token_id;
  if (forcedEos !== null && forcedEos !== undefined && ids.length === s.maxLength - 1) applyForcedTokens(scores, [forcedEos].flat());
}

function greedy(model: Model, encoder: EncoderOutput, start: number, s: StepSettings, random: () => number): Seq2SeqGenerateResult {
  const rows = encoder.batchSize;
  const sequences = Array.from({ length: rows }, () => [start]);
  const finished = new Array<boolean>(rows).fill(false);
  let cache: Seq2SeqCache | undefined;
  try {
    while (sequences[0].length < s.maxLength && !finished.every(Boolean)) {
      const out = step(model, encoder, sequences, cache, s.config.use_cache);
      cache = out.cache;
      out.logits.forEach((scores, row) => {
        if (finished[row]) return void sequences[row].push(s.pad);
        processScores(scores, sequences[row], s);
        const next = s.config.do_sample ? sample(scores, s.config, random) : argmax(scores);
        sequences[row].push(next);
        if (s.eos.includes(next)) finished[row] = true;
      });
    }
  } finally {
    disposeSeq2SeqCache(cache);
  }
  return {
    sequences: sequences.map((sequence, row) => {
      const tokens = sequence.slice(1);
      const end = tokens.findIndex((id) => s.eos.includes(id));
      return finished[row] ? tokens.slice(0, end + 1) : tokens;
    }),
    finishReasons: finished.map((done) => (done ? 'eos' : 'length')),
  };
}

function sample(scores: Float32Array, config: GenerationConfig, random: () => number): number {
  applyTemperature(scores, config.temperature);
  if (config.top_k !== null) applyTopK(scores, config.top_k);
  if (config.top_p !== null) applyTopP(scores, config.top_p);
  return sampleFrom(scores, random);
}

function beamSearch(model: Model, encoder: EncoderOutput, batchSize: number, start: number, s: StepSettings): Seq2SeqGenerateResult {
  const beams = s.config.num_beams;
  const scorer = new BeamSearchScorer(batchSize, {
    numBeams: beams,
    lengthPenalty: s.config.length_penalty,
    earlyStopping: s.config.early_stopping,
    maxLength: s.maxLength,
    eosTokenIds: s.eos,
    padTokenId: s.pad,
    promptLength: 1,
  });
  let sequences = Array.from({ length: batchSize * beams }, () => [start]);
  // Only the first beam of each source is live at the start (the others are at -1e9), as transformers.
  let beamScores: number[] = sequences.map((_, row) => (row % beams === 0 ? 0 : -1e9));
  const keep = Math.max(2, 1 + s.eos.length) * beams;
  let cache: Seq2SeqCache | undefined;
  try {
    for (;;) {
      const out = step(model, encoder, sequences, cache, s.config.use_cache);
      cache = out.cache;
      const candidates: BeamCandidate[][] = [];
      for (let b = 0; b < batchSize; b++) {
        const top: BeamCandidate[] = [];
        for (let j = 0; j < beams; j++) {
          const row = b * beams + j;
          const scores = logSoftmax(out.logits[row]);
          processScores(scores, sequences[row], s);
          // LogitNormalization, last of transformers' processors (opus-mt's generation configs set it).
          const normalized = s.config.renormalize_logits ? renormalize(scores) : scores;
          for (let token = 0; token < normalized.length; token++) keepBest(top, keep, j, token, normalized[token] + beamScores[row]);
        }
        candidates.push(top);
      }
      const next = scorer.process(sequences, candidates).flatMap((stepOut) => stepOut.rows);
      sequences = next.map(({ from, token }) => [...sequences[from], token]);
      beamScores = next.map(({ score }) => score);
      if (cache !== undefined) cache = reorderSeq2SeqCache(cache, next.map(({ from }) => from));
      if (scorer.isDone || sequences[0].length >= s.maxLength) break;
    }
  } finally {
    disposeSeq2SeqCache(cache);
  }
  const best = scorer.finalize(sequences, beamScores);
  return {
    sequences: best.map(({ tokens }) => tokens),
    finishReasons: best.map(({ tokens }) => (tokens.length > 0 && s.eos.includes(tokens[tokens.length - 1]) ? 'eos' : 'length')),
  };
}

/**
 * torch.topk(scores, k, sorted=True) over beams x vocab, one candidate at a time: `top` holds the k
 * best so far, best first; a candidate equal to one already kept goes after it (the lower flat
 * index first on ties). Only candidates that enter are allocated.
 */
function keepBest(top: BeamCandidate[], k: number, beam: number, token: number, score: number): void {
  if (top.length === k && !(score > top[k - 1].score)) return;
  let at = top.length;
  while (at > 0 && score > top[at - 1].score) at--;
  top.splice(at, 0, { beam, token, score });
  if (top.length > k) top.pop();
}

/** log_softmax of float64 scores (`-Infinity` stays `-Infinity`). */
function renormalize(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) if (s > max) max = s;
  let sum = 0;
  for (const s of scores) sum += Math.exp(s - max);
  const log = Math.log(sum) + max;
  return scores.map((s) => s - log);
}
