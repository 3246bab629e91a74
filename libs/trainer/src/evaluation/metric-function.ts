import { computeClassificationMetrics } from '../classification-metrics.ts';
import { EvaluationError } from './evaluation-error.ts';

/** Scores class-id predictions against labels: every metric by name (`accuracy`, `f1`, ...). */
export type MetricFunction = (predictions: ArrayLike<number>, labels: ArrayLike<number>) => Record<string, number>;

/** The trainer's classification metrics (accuracy, precision/recall/F1 binary, macro and micro). */
export function classificationMetric(numLabels: number): MetricFunction {
  return (predictions, labels) => ({ ...computeClassificationMetrics(predictions, labels, numLabels) });
}

/** Throws unless every array has `expected` entries and there is at least one. */
export function checkSameLength(expected: number, arrays: Readonly<Record<string, ArrayLike<unknown>>>): void {
  if (expected === 0) throw new EvaluationError('EVALUATION_INPUT_INVALID', 'no examples to score.');
  for (const [name, array] of Object.entries(arrays)) {
    if (array.length !== expected) {
      throw new EvaluationError('EVALUATION_INPUT_INVALID', `${name} has ${array.length} entries but labels has ${expected}; give one per example.`);
    }
  }
}

/** Group names in a stable order: integer-like numerically ("2" before "10"), others as strings. */
export function compareGroups(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The example indices of each group value, groups in `compareGroups` order. */
export function indicesByGroup(groups: readonly string[]): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  groups.forEach((group, index) => {
    const indices = byGroup.get(group);
    if (indices === undefined) byGroup.set(group, [index]);
    else indices.push(index);
  });
  return new Map([...byGroup.entries()].sort(([a], [b]) => compareGroups(a, b)));
}

/** `values[i]` for each index: a subset of predictions or labels. */
export function pick(values: ArrayLike<number>, indices: readonly number[] | Int32Array): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]!]!;
  return out;
}
