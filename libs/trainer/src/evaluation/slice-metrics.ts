import { EvaluationError } from './evaluation-error.ts';
import { checkSameLength, indicesByGroup, pick, type MetricFunction } from './metric-function.ts';

export interface SliceMetricsInput {
  /** Predicted class id per example. */
  readonly predictions: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  /** The group column's value per example (e.g. a dialect, a product, a source). */
  readonly groups: readonly string[];
  readonly metric: MetricFunction;
  /** Groups with fewer examples are flagged too small and left out of the gaps; default 30. */
  readonly minGroupSize?: number;
}

export interface GroupMetrics {
  readonly group: string;
  readonly size: number;
  /** Computed for small groups too, so nothing is hidden; read them with `isTooSmall` in mind. */
  readonly metrics: Record<string, number>;
  readonly isTooSmall: boolean;
}

export interface MetricGap {
  readonly metric: string;
  /** highest.value - lowest.value, over the groups of at least minGroupSize examples. */
  readonly gap: number;
  readonly highest: { readonly group: string; readonly value: number };
  readonly lowest: { readonly group: string; readonly value: number };
}

export interface SliceReport {
  readonly minGroupSize: number;
  /** Every group, in group order (integer-like values numerically, others as strings). */
  readonly groups: readonly GroupMetrics[];
  /** One per metric; empty when fewer than two groups are large enough to compare. */
  readonly gaps: readonly MetricGap[];
  /** Groups under minGroupSize: reported, never dropped. */
  readonly tooSmall: readonly string[];
}

/**
 * 30: below it one example moves accuracy by more than 3 points and the standard error of an
 * accuracy near 0.5 (sqrt(0.25 / n)) passes 9 points, larger than most gaps worth reporting.
 */
export const DEFAULT_MIN_GROUP_SIZE = 30;

/** Every metric per group, with its size, and the largest gap between large-enough groups per metric. */
export function sliceMetrics(input: SliceMetricsInput): SliceReport {
  const { predictions, labels, groups, metric } = input;
  const minGroupSize = input.minGroupSize ?? DEFAULT_MIN_GROUP_SIZE;
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1) {
    throw new EvaluationError('EVALUATION_INPUT_INVALID', `minGroupSize must be a positive integer, got ${minGroupSize}.`);
  }
  checkSameLength(labels.length, { predictions, groups });
  const perGroup: GroupMetrics[] = [...indicesByGroup(groups)].map(([group, indices]) => ({
    group,
    size: indices.length,
    metrics: metric(pick(predictions, indices), pick(labels, indices)),
    isTooSmall: indices.length < minGroupSize,
  }));
  const compared = perGroup.filter((group) => !group.isTooSmall);
  return {
    minGroupSize,
    groups: perGroup,
    gaps: compared.length < 2 ? [] : Object.keys(compared[0]!.metrics).map((name) => gapOf(name, compared)),
    tooSmall: perGroup.filter((group) => group.isTooSmall).map((group) => group.group),
  };
}

function gapOf(metric: string, groups: readonly GroupMetrics[]): MetricGap {
  let highest = groups[0]!;
  let lowest = groups[0]!;
  for (const group of groups) {
    if (group.metrics[metric]! > highest.metrics[metric]!) highest = group;
    if (group.metrics[metric]! < lowest.metrics[metric]!) lowest = group;
  }
  const high = highest.metrics[metric]!;
  const low = lowest.metrics[metric]!;
  return { metric, gap: high - low, highest: { group: highest.group, value: high }, lowest: { group: lowest.group, value: low } };
}

/** Terminal lines: one per group (size and the chosen metrics), then each chosen metric's gap. */
export function summarizeSlices(report: SliceReport, metrics: readonly string[] = ['accuracy', 'f1']): string[] {
  const lines = report.groups.map((group) => {
    const values = metrics.filter((name) => name in group.metrics).map((name) => `${name} ${group.metrics[name]!.toFixed(4)}`);
    const flag = group.isTooSmall ? ` (too small: under ${report.minGroupSize}, not compared)` : '';
    return `  ${group.group}: n=${group.size}, ${values.join(', ')}${flag}`;
  });
  for (const gap of report.gaps.filter((entry) => metrics.includes(entry.metric))) {
    lines.push(
      `  largest ${gap.metric} gap: ${(gap.gap * 100).toFixed(2)} points ` +
        `(${gap.highest.group} ${gap.highest.value.toFixed(4)} vs ${gap.lowest.group} ${gap.lowest.value.toFixed(4)})`,
    );
  }
  if (report.gaps.length === 0) lines.push(`  no gap: fewer than two groups have ${report.minGroupSize} or more examples`);
  return lines;
}
