import { describe, expect, it } from 'vitest';
import { classificationMetric } from './metric-function.ts';
import { pairedBootstrap, quantile, summarizeBootstrap } from './paired-bootstrap.ts';

const N = 1000;
// Binary labels alternating 0/1; A is right on the first 800 examples, B on the first 850 (and
// wherever A is): B - A accuracy is 0.05 on these examples by construction.
const labels = Array.from({ length: N }, (_, i) => i % 2);
const wrongAfter = (correct: number): number[] => labels.map((label, i) => (i < correct ? label : 1 - label));
const predictionsA = wrongAfter(800);
const predictionsB = wrongAfter(850);
const metric = classificationMetric(2);

describe('pairedBootstrap', () => {
  const result = pairedBootstrap({ labels, predictionsA, predictionsB, metric, seed: 7 });
  const accuracy = result.metrics.find((entry) => entry.metric === 'accuracy')!;

  it('reports both models and B - A on all the examples', () => {
    expect([result.size, result.resamples, result.seed, result.confidence]).toEqual([N, 1000, 7, 0.95]);
    expect([accuracy.a, accuracy.b, accuracy.difference]).toEqual([0.8, 0.85, 0.85 - 0.8]);
  });

  it('gives a 95% interval that contains the true difference and excludes 0', () => {
    expect(accuracy.low).toBeLessThan(0.05);
    expect(accuracy.high).toBeGreaterThan(0.05);
    // 50 discordant examples of 1000: standard error sqrt(0.05 * 0.95 / 1000) = 0.0069, so the
    // interval is about 0.05 +- 0.0135; 0.01 is more than 1.4 standard errors of slack each way.
    expect(accuracy.low).toBeGreaterThan(0.05 - 0.0135 - 0.01);
    expect(accuracy.low).toBeLessThan(0.05 - 0.0135 + 0.01);
    expect(accuracy.high).toBeGreaterThan(0.05 + 0.0135 - 0.01);
    expect(accuracy.high).toBeLessThan(0.05 + 0.0135 + 0.01);
    expect(accuracy.low).toBeGreaterThan(0);
    expect(accuracy.excludesZero).toBe(true);
  });

  it('is exactly reproducible for a seed and changes with the seed', () => {
    expect(pairedBootstrap({ labels, predictionsA, predictionsB, metric, seed: 7 })).toEqual(result);
    const other = pairedBootstrap({ labels, predictionsA, predictionsB, metric, seed: 8 });
    expect(other.metrics[0]!.low).not.toBe(accuracy.low);
  });

  it('includes 0 when the models trade errors evenly', () => {
    // A wrong on examples 0-9, B wrong on 10-19: the same accuracy, a difference of 0.
    const flip = (from: number): number[] => labels.map((label, i) => (i >= from && i < from + 10 ? 1 - label : label));
    const even = pairedBootstrap({ labels, predictionsA: flip(0), predictionsB: flip(10), metric, resamples: 500 });
    const entry = even.metrics.find((e) => e.metric === 'accuracy')!;
    expect(entry.difference).toBe(0);
    expect(entry.low).toBeLessThan(0);
    expect(entry.high).toBeGreaterThan(0);
    expect(entry.excludesZero).toBe(false);
  });

  it('reports per-group changes, each resampled within its group', () => {
    // Per class: B's 50 extra right answers split evenly, 25 of class 0 and 25 of class 1.
    const perClass = pairedBootstrap({ labels, predictionsA, predictionsB, metric, groups: labels.map((l) => (l === 0 ? 'negative' : 'positive')) });
    expect(perClass.groups!.map((g) => [g.group, g.size])).toEqual([['negative', 500], ['positive', 500]]);
    for (const group of perClass.groups!) {
      const entry = group.metrics.find((e) => e.metric === 'accuracy')!;
      expect([entry.a, entry.b]).toEqual([0.8, 0.85]);
      expect(entry.low).toBeLessThan(0.05);
      expect(entry.high).toBeGreaterThan(0.05);
    }
    expect(perClass.metrics).toEqual(pairedBootstrap({ labels, predictionsA, predictionsB, metric }).metrics);
  });

  it('summarises the chosen metrics', () => {
    const lines = summarizeBootstrap(result, ['accuracy']);
    expect(lines).toEqual([
      'paired bootstrap: 1000 examples, 1000 resamples, seed 7 (* = interval excludes 0)',
      `  accuracy: A 0.8000, B 0.8500, B - A +0.0500 [95% CI +${accuracy.low.toFixed(4)}, +${accuracy.high.toFixed(4)}] *`,
    ]);
  });

  it('rejects mismatched predictions and bad settings', () => {
    expect(() => pairedBootstrap({ labels, predictionsA, predictionsB: predictionsB.slice(1), metric })).toThrow(
      'predictionsB has 999 entries but labels has 1000; give one per example.',
    );
    expect(() => pairedBootstrap({ labels, predictionsA, predictionsB, metric, resamples: 0 })).toThrow('resamples must be a positive integer, got 0.');
    expect(() => pairedBootstrap({ labels, predictionsA, predictionsB, metric, confidence: 1 })).toThrow('confidence must be in (0, 1), got 1.');
  });
});

describe('quantile', () => {
  it('interpolates linearly between order statistics, as numpy.percentile does', () => {
    const sorted = Float64Array.of(1, 2, 3, 4, 5);
    expect([quantile(sorted, 0), quantile(sorted, 0.25), quantile(sorted, 0.1), quantile(sorted, 1)]).toEqual([1, 2, 1.4, 5]);
  });
});
