import { mixSeed, mulberry32 } from '@tunefleet/core';
import { EvaluationError } from './evaluation-error.ts';
import { checkSameLength, indicesByGroup, pick, type MetricFunction } from './metric-function.ts';

export interface PairedBootstrapInput {
  readonly labels: ArrayLike<number>;
  /** Model A's (the baseline's) predicted class per example. */
  readonly predictionsA: ArrayLike<number>;
  /** Model B's (the candidate's) predicted class on the same examples. */
  readonly predictionsB: ArrayLike<number>;
  readonly metric: MetricFunction;
  /** Default 1000 (Koehn 2004; Efron & Tibshirani: enough for a 95% percentile interval). */
  readonly resamples?: number;
  /** Default 42, the trainer's default seed. */
  readonly seed?: number;
  /** Default 0.95. */
  readonly confidence?: number;
  /** A group per example (a class name for per-class changes, or a group column's value). */
  readonly groups?: readonly string[];
}

export interface MetricDifference {
  readonly metric: string;
  /** On all the examples (not a bootstrap mean). */
  readonly a: number;
  readonly b: number;
  /** b - a. */
  readonly difference: number;
  /** Percentile interval of b - a over the resamples. */
  readonly low: number;
  readonly high: number;
  /** The interval lies entirely above or entirely below 0. */
  readonly excludesZero: boolean;
}

export interface GroupDifference {
  readonly group: string;
  readonly size: number;
  /** Resampled within the group (its size fixed), with its own seeded stream. */
  readonly metrics: readonly MetricDifference[];
}

export interface PairedBootstrapResult {
  readonly size: number;
  readonly resamples: number;
  readonly seed: number;
  readonly confidence: number;
  readonly metrics: readonly MetricDifference[];
  readonly groups?: readonly GroupDifference[];
}

const DEFAULT_RESAMPLES = 1000;
const DEFAULT_SEED = 42;
const DEFAULT_CONFIDENCE = 0.95;

/**
 * Paired bootstrap of B - A: each resample draws n examples with replacement and scores both
 * models on the same draw, so the interval reflects how the two differ example by example rather
 * than how each varies alone. Deterministic for a seed.
 */
export function pairedBootstrap(input: PairedBootstrapInput): PairedBootstrapResult {
  const { labels, predictionsA, predictionsB } = input;
  const resamples = input.resamples ?? DEFAULT_RESAMPLES;
  const seed = input.seed ?? DEFAULT_SEED;
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  checkSettings(resamples, seed, confidence);
  checkSameLength(labels.length, { predictionsA, predictionsB, ...(input.groups === undefined ? {} : { groups: input.groups }) });
  const all = Int32Array.from({ length: labels.length }, (_, i) => i);
  const result: PairedBootstrapResult = {
    size: labels.length,
    resamples,
    seed,
    confidence,
    metrics: bootstrapDifferences(input, all, resamples, mulberry32(seed), confidence),
  };
  if (input.groups === undefined) return result;
  const groups = [...indicesByGroup(input.groups)].map(([group, indices], g) => ({
    group,
    size: indices.length,
    metrics: bootstrapDifferences(input, Int32Array.from(indices), resamples, mulberry32(mixSeed(seed, g)), confidence),
  }));
  return { ...result, groups };
}

function bootstrapDifferences(
  input: PairedBootstrapInput,
  indices: Int32Array,
  resamples: number,
  random: () => number,
  confidence: number,
): MetricDifference[] {
  const { labels, predictionsA, predictionsB, metric } = input;
  const labelsHere = pick(labels, indices);
  const scoredA = metric(pick(predictionsA, indices), labelsHere);
  const scoredB = metric(pick(predictionsB, indices), labelsHere);
  const names = Object.keys(scoredA);
  const differences = names.map(() => new Float64Array(resamples));
  const n = indices.length;
  const drawnA = new Int32Array(n);
  const drawnB = new Int32Array(n);
  const drawnLabels = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const index = indices[Math.floor(random() * n)]!;
      drawnA[i] = predictionsA[index]!;
      drawnB[i] = predictionsB[index]!;
      drawnLabels[i] = labels[index]!;
    }
    const a = metric(drawnA, drawnLabels);
    const b = metric(drawnB, drawnLabels);
    names.forEach((name, m) => (differences[m]![r] = b[name]! - a[name]!));
  }
  const tail = (1 - confidence) / 2;
  return names.map((name, m) => {
    const sorted = differences[m]!.sort();
    const low = quantile(sorted, tail);
    const high = quantile(sorted, 1 - tail);
    const a = scoredA[name]!;
    const b = scoredB[name]!;
    return { metric: name, a, b, difference: b - a, low, high, excludesZero: low > 0 || high < 0 };
  });
}

/** Linear interpolation between order statistics (numpy's default percentile). */
export function quantile(sorted: Float64Array, q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

function checkSettings(resamples: number, seed: number, confidence: number): void {
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new EvaluationError('EVALUATION_INPUT_INVALID', `resamples must be a positive integer, got ${resamples}.`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new EvaluationError('EVALUATION_INPUT_INVALID', `seed must be a non-negative integer, got ${seed}.`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new EvaluationError('EVALUATION_INPUT_INVALID', `confidence must be in (0, 1), got ${confidence}.`);
  }
}

/** Terminal lines for the chosen metrics: A, B, B - A and its interval, then each group's change. */
export function summarizeBootstrap(
  result: PairedBootstrapResult,
  metrics: readonly string[] = ['accuracy', 'f1'],
  /** Per class, binary F1 is degenerate (one class only): compare passes ['accuracy'], the class's recall. */
  groupMetrics: readonly string[] = metrics,
): string[] {
  const level = `${Math.round(result.confidence * 100)}%`;
  const line = (entry: MetricDifference, indent: string): string =>
    `${indent}${entry.metric}: A ${entry.a.toFixed(4)}, B ${entry.b.toFixed(4)}, B - A ${signed(entry.difference)} ` +
    `[${level} CI ${signed(entry.low)}, ${signed(entry.high)}]${entry.excludesZero ? ' *' : ''}`;
  const chosen = (entries: readonly MetricDifference[], names = metrics): MetricDifference[] => entries.filter((entry) => names.includes(entry.metric));
  const lines = [`paired bootstrap: ${result.size} examples, ${result.resamples} resamples, seed ${result.seed} (* = interval excludes 0)`];
  lines.push(...chosen(result.metrics).map((entry) => line(entry, '  ')));
  for (const group of result.groups ?? []) {
    lines.push(`  ${group.group} (n=${group.size}):`);
    lines.push(...chosen(group.metrics, groupMetrics).map((entry) => line(entry, '    ')));
  }
  return lines;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}
