import { referencesPerSegment } from './bleu.ts';
import { pythonSplit } from './sacrebleu-tokenizer-13a.ts';

/**
 * chrF (Popović 2015) and chrF++ (word_order 2) exactly as sacrebleu's `CHRF().corpus_score` /
 * `corpus_chrf` computes them (mjpost/sacrebleu, `sacrebleu/metrics/chrf.py`): character n-grams
 * of orders 1..charOrder over the segment with whitespace removed (and word n-grams of orders
 * 1..wordOrder after splitting punctuation off word ends), each segment matched against the
 * reference that gives it the best F-score, statistics summed over the corpus, then the F-beta of
 * the precisions and recalls averaged over the orders that occur (sacrebleu's default), or the
 * chrF++.py-style mean of per-order F-scores with `epsSmoothing`.
 */

export interface ChrfOptions {
  /** sacrebleu's `char_order` (6). */
  readonly charOrder?: number;
  /** sacrebleu's `word_order` (0; 2 is chrF++). */
  readonly wordOrder?: number;
  /** sacrebleu's `beta` (2: recall weighs twice as much as precision). */
  readonly beta?: number;
  /** sacrebleu's `lowercase` (false). */
  readonly lowercase?: boolean;
  /** sacrebleu's `whitespace` (false: whitespace is removed before taking character n-grams). */
  readonly whitespace?: boolean;
  /** sacrebleu's `eps_smoothing` (false). */
  readonly epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** 0-100, as sacrebleu's `.score`. */
  readonly score: number;
  /** [hyp, ref, match] n-gram counts per order, flattened (character orders, then word orders). */
  readonly statistics: readonly number[];
}

interface ChrfSettings {
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
  readonly lowercase: boolean;
  readonly whitespace: boolean;
  readonly epsSmoothing: boolean;
}

// string.punctuation, which chrF++ splits off the start or end of a word.
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** `hypotheses[i]` against `references[r][i]` for every reference stream r (sacrebleu's layout). */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly (string | undefined)[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const settings: ChrfSettings = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  const refSets = referencesPerSegment(hypotheses, references);
  const order = settings.charOrder + settings.wordOrder;
  const statistics = new Array<number>(3 * order).fill(0);
  hypotheses.forEach((hypothesis, i) => {
    const hypNgrams = allNgrams(preprocess(hypothesis, settings), settings);
    let best: number[] = [];
    let bestScore = -1;
    for (const ref of refSets[i]) {
      const refNgrams = allNgrams(preprocess(ref, settings), settings);
      const stats = hypNgrams.flatMap((h, n) => matchStatistics(h, refNgrams[n]));
      const score = chrfFromStatistics(stats, settings);
      if (score > bestScore) {
        bestScore = score;
        best = stats;
      }
    }
    best.forEach((value, k) => (statistics[k] += value));
  });
  return { score: chrfFromStatistics(statistics, settings), statistics };
}

function preprocess(segment: string, settings: ChrfSettings): string {
  return settings.lowercase ? segment.toLowerCase() : segment;
}

/** Character n-gram counters of orders 1..charOrder, then word n-gram counters of 1..wordOrder. */
function allNgrams(segment: string, settings: ChrfSettings): Map<string, number>[] {
  // Python indexes strings by code point; Array.from does too (a UTF-16 surrogate pair is one char).
  const chars = Array.from(settings.whitespace ? segment : pythonSplit(segment).join(''));
  const counters: Map<string, number>[] = [];
  for (let n = 1; n <= settings.charOrder; n++) counters.push(countNgrams(chars, n, ''));
  if (settings.wordOrder > 0) {
    const words = splitPunctuation(segment);
    for (let n = 1; n <= settings.wordOrder; n++) counters.push(countNgrams(words, n, ' '));
  }
  return counters;
}

function countNgrams(units: readonly string[], n: number, joiner: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const ngram = units.slice(i, i + n).join(joiner);
    counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
  }
  return counts;
}

/** sacrebleu's `_remove_punctuation`: one punctuation mark split off a word's end, else its start. */
function splitPunctuation(segment: string): string[] {
  const words: string[] = [];
  for (const word of pythonSplit(segment)) {
    const chars = Array.from(word);
    if (chars.length === 1) words.push(word);
    else if (PUNCTUATION.has(chars[chars.length - 1])) words.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    else if (PUNCTUATION.has(chars[0])) words.push(chars[0], chars.slice(1).join(''));
    else words.push(word);
  }
  return words;
}

/** [hyp, ref, match] counts; hypothesis n-grams are not counted when the reference has none. */
function matchStatistics(hyp: Map<string, number>, ref: Map<string, number>): number[] {
  let hypCount = 0;
  let matchCount = 0;
  for (const [ngram, count] of hyp) {
    hypCount += count;
    const refCount = ref.get(ngram);
    if (refCount !== undefined) matchCount += Math.min(count, refCount);
  }
  let refCount = 0;
  for (const count of ref.values()) refCount += count;
  return [ref.size > 0 ? hypCount : 0, refCount, matchCount];
}

/** sacrebleu's `CHRF._compute_f_score`, 0-100. */
function chrfFromStatistics(statistics: readonly number[], settings: ChrfSettings): number {
  const eps = 1e-16;
  const order = settings.charOrder + settings.wordOrder;
  const factor = settings.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrecision = 0;
  let avgRecall = 0;
  for (let i = 0; i < order; i++) {
    const [nHyp, nRef, nMatch] = statistics.slice(3 * i, 3 * i + 3);
    const precision = nHyp > 0 ? nMatch / nHyp : eps;
    const recall = nRef > 0 ? nMatch / nRef : eps;
    const denominator = factor * precision + recall;
    score += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrecision += precision;
      avgRecall += recall;
      effectiveOrder++;
    }
  }
  if (settings.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) return 0;
  avgPrecision /= effectiveOrder;
  avgRecall /= effectiveOrder;
  if (avgPrecision + avgRecall === 0) return 0;
  const fScore = ((1 + factor) * avgPrecision * avgRecall) / (factor * avgPrecision + avgRecall);
  return 100 * fScore;
}
