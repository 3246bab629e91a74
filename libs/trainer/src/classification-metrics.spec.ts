import { describe, expect, it } from 'vitest';
import { classificationComputeMetrics, computeClassificationMetrics } from './classification-metrics.ts';
import { TrainerError } from './trainer-error.ts';

// Expected values worked out by hand from the confusion counts (what sklearn.metrics returns).
describe('computeClassificationMetrics', () => {
  it('binary: headline precision/recall/f1 are for class 1; macro and micro as sklearn', () => {
    const labels = [1, 1, 1, 0, 0, 0, 1, 0];
    const predictions = [1, 0, 1, 0, 1, 0, 1, 1];
    // class 1: tp 3, fp 2, fn 1; class 0: tp 2, fp 1, fn 2
    const m = computeClassificationMetrics(predictions, labels, 2);
    expect(m.accuracy).toBeCloseTo(5 / 8, 12);
    expect(m.precision).toBeCloseTo(3 / 5, 12);
    expect(m.recall).toBeCloseTo(3 / 4, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.precision_macro).toBeCloseTo((3 / 5 + 2 / 3) / 2, 12);
    expect(m.recall_macro).toBeCloseTo((3 / 4 + 1 / 2) / 2, 12);
    expect(m.f1_macro).toBeCloseTo((2 / 3 + 4 / 7) / 2, 12);
    expect(m.precision_micro).toBeCloseTo(5 / 8, 12);
    expect(m.recall_micro).toBeCloseTo(5 / 8, 12);
    expect(m.f1_micro).toBeCloseTo(5 / 8, 12);
  });

  it('multi-class: macro over the classes present, zero-division gives 0', () => {
    const labels = [0, 1, 2, 2, 0];
    const predictions = [0, 2, 2, 2, 1];
    // class 0: P 1, R 1/2; class 1: P 0 (tp 0, fp 1), R 0; class 2: P 2/3, R 1; class 3 absent.
    const m = computeClassificationMetrics(predictions, labels, 4);
    expect(m.accuracy).toBeCloseTo(3 / 5, 12);
    expect(m.precision_macro).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(m.recall_macro).toBeCloseTo((1 / 2 + 0 + 1) / 3, 12);
    expect(m.f1_macro).toBeCloseTo((2 / 3 + 0 + 4 / 5) / 3, 12);
    expect(m.f1).toBe(m.f1_macro);
    expect(m.precision).toBe(m.precision_macro);
    expect(m.f1_micro).toBeCloseTo(3 / 5, 12);
  });

  it('binary with the positive class never predicted scores 0, not NaN', () => {
    const m = computeClassificationMetrics([0, 0, 0], [0, 0, 1], 2);
    expect(m).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('rejects out-of-range ids and length mismatches, naming the position', () => {
    expect(() => computeClassificationMetrics([0, 3], [0, 1], 2)).toThrow(/predictions\[1\] = 3 is not a class id in \[0, 1\]/);
    expect(() => computeClassificationMetrics([0], [0, 1], 2)).toThrow(TrainerError);
  });
});

describe('classificationComputeMetrics', () => {
  it('takes the argmax and skips positions labelled -100', () => {
    const compute = classificationComputeMetrics(2);
    // [3 rows, 2 labels]: argmax -> 1, 0, 1
    const logits = Float32Array.from([0.1, 0.9, 2, -1, -3, 5]);
    const metrics = compute({ logits, shape: [3, 2], labelIds: Int32Array.from([1, -100, 0]) });
    expect(metrics['accuracy']).toBeCloseTo(1 / 2, 12);
    expect(metrics['precision']).toBeCloseTo(1 / 2, 12);
    expect(metrics['recall']).toBeCloseTo(1, 12);
  });
});
