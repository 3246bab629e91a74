import { EvaluationError } from './evaluation-error.ts';
import { pythonRstrip, pythonSplit, tokenize13a } from './sacrebleu-tokenizer-13a.ts';

/**
 * Corpus BLEU (Papineni et al. 2002) exactly as sacrebleu's `corpus_bleu` / `BLEU().corpus_score`
 * computes it (mjpost/sacrebleu, `sacrebleu/metrics/bleu.py`): segments tokenized with 13a, n-gram
 * counts clipped by the maximum count over the references, the closest reference length (the
 * shorter on a tie) for the brevity penalty, statistics summed over the corpus, and exponential
 * smoothing (mteval-v13a's: each order without a match gets 1 / (2^k * total)).
 */

export type BleuSmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  /** sacrebleu's `lowercase` (false). */
  readonly lowercase?: boolean;
  /** sacrebleu's `tokenize`: '13a' (the default) or 'none' (split on whitespace only). */
  readonly tokenize?: '13a' | 'none';
  /** sacrebleu's `smooth_method` ('exp'). */
  readonly smoothMethod?: BleuSmoothMethod;
  /** sacrebleu's `smooth_value`: 0.1 for 'floor' and 1 for 'add-k' when not given. */
  readonly smoothValue?: number;
  /** sacrebleu's `max_ngram_order` (4). */
  readonly maxNgramOrder?: number;
  /** sacrebleu's `effective_order` (false; true for sentence-level BLEU). */
  readonly effectiveOrder?: boolean;
}

export interface BleuScore {
  /** 0-100, as sacrebleu's `.score`. */
  readonly score: number;
  /** Matched n-grams per order (1..maxNgramOrder). */
  readonly counts: readonly number[];
  /** Hypothesis n-grams per order. */
  readonly totals: readonly number[];
  /** Per-order precisions, 0-100, smoothed. */
  readonly precisions: readonly number[];
  /** Brevity penalty. */
  readonly bp: number;
  readonly sysLen: number;
  readonly refLen: number;
}

const SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothMethod, number | undefined>> = {
  none: undefined,
  floor: 0.1,
  'add-k': 1,
  exp: undefined,
};

/**
 * `hypotheses[i]` against `references[r][i]` for every reference stream r (sacrebleu's layout: one
 * list per reference set). An empty reference ('' or undefined) is skipped for that segment, as
 * sacrebleu allows a variable number of references; a segment with none left is an error.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly (string | undefined)[])[],
  options: BleuOptions = {},
): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  const preprocess = segmentPreprocessor(options);
  const refSets = referencesPerSegment(hypotheses, references);
  let sysLen = 0;
  let refLen = 0;
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  hypotheses.forEach((hypothesis, i) => {
    const refNgrams = new Map<string, number>();
    const refLens: number[] = [];
    for (const ref of refSets[i]) {
      const [ngrams, length] = wordNgrams(preprocess(ref), maxOrder);
      refLens.push(length);
      for (const [ngram, count] of ngrams) refNgrams.set(ngram, Math.max(refNgrams.get(ngram) ?? 0, count));
    }
    const [hypNgrams, hypLen] = wordNgrams(preprocess(hypothesis), maxOrder);
    sysLen += hypLen;
    refLen += closestRefLength(hypLen, refLens);
    for (const [ngram, count] of hypNgrams) {
      const order = ngramOrder(ngram) - 1;
      total[order] += count;
      const refCount = refNgrams.get(ngram);
      if (refCount !== undefined) correct[order] += Math.min(count, refCount);
    }
  });
  return bleuFromStatistics(correct, total, sysLen, refLen, options);
}

/** sacrebleu's `BLEU.compute_bleu`: the score from its sufficient statistics. */
export function bleuFromStatistics(
  correctCounts: readonly number[],
  totalCounts: readonly number[],
  sysLen: number,
  refLen: number,
  options: BleuOptions = {},
): BleuScore {
  const maxOrder = options.maxNgramOrder ?? 4;
  const smoothMethod = options.smoothMethod ?? 'exp';
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const correct = [...correctCounts];
  const total = [...totalCounts];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({ score, counts: correct, totals: total, precisions, bp, sysLen, refLen });
  // No match at all: 0 whatever the smoothing (sacrebleu #141).
  if (!correct.some((count) => count !== 0)) return result(0);

  let smoothMteval = 1;
  let effectiveOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (options.effectiveOrder) effectiveOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (const p of precisions.slice(0, effectiveOrder)) logSum += sacrebleuLog(p);
  return result(bp * Math.exp(logSum / effectiveOrder));
}

/** sacrebleu's `my_log`: log(0) is a large negative number rather than -Infinity. */
function sacrebleuLog(value: number): number {
  return value === 0 ? -9999999999 : Math.log(value);
}

function segmentPreprocessor(options: BleuOptions): (segment: string) => string[] {
  const tokenize = options.tokenize ?? '13a';
  return (segment) => {
    const text = pythonRstrip(options.lowercase ? segment.toLowerCase() : segment);
    return pythonSplit(tokenize === '13a' ? tokenize13a(text) : text);
  };
}

/** The non-empty references of each segment; checks that every stream has one line per hypothesis. */
export function referencesPerSegment(
  hypotheses: readonly string[],
  references: readonly (readonly (string | undefined)[])[],
): string[][] {
  if (references.length === 0) {
    throw new EvaluationError('EVALUATION_INPUT_INVALID', 'no reference stream given; pass at least one list of references.');
  }
  references.forEach((stream, r) => {
    if (stream.length !== hypotheses.length) {
      throw new EvaluationError(
        'EVALUATION_INPUT_INVALID',
        `reference stream ${r} has ${stream.length} segments, the hypotheses have ${hypotheses.length}; ` +
          'every stream needs one reference per hypothesis.',
      );
    }
  });
  return hypotheses.map((_, i) => {
    const refs = references.map((stream) => stream[i]).filter((ref): ref is string => ref !== undefined && ref !== '');
    if (refs.length === 0) {
      throw new EvaluationError('EVALUATION_INPUT_INVALID', `segment ${i}: every reference is empty; give it at least one.`);
    }
    return refs;
  });
}

/** Counts of every 1..maxOrder-gram (tokens joined by a space) and the token count. */
function wordNgrams(tokens: readonly string[], maxOrder: number): [Map<string, number>, number] {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      const ngram = tokens.slice(i, i + n).join(' ');
      counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
    }
  }
  return [counts, tokens.length];
}

function ngramOrder(ngram: string): number {
  let order = 1;
  for (let i = 0; i < ngram.length; i++) if (ngram.charCodeAt(i) === 0x20) order++;
  return order;
}

/** sacrebleu's `_get_closest_ref_len`: the reference length nearest the hypothesis', shorter on ties. */
function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}
