import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { classificationMetric } from './metric-function.ts';
import { sliceMetrics, summarizeSlices } from './slice-metrics.ts';

/** `size` binary examples (labels alternate 0/1) of which the first `correct` are predicted right. */
function group(name: string, size: number, correct: number): { labels: number[]; predictions: number[]; groups: string[] } {
  const labels = Array.from({ length: size }, (_, i) => i % 2);
  const predictions = labels.map((label, i) => (i < correct ? label : 1 - label));
  return { labels, predictions, groups: labels.map(() => name) };
}

function concat(...parts: ReturnType<typeof group>[]): ReturnType<typeof group> {
  return {
    labels: parts.flatMap((part) => part.labels),
    predictions: parts.flatMap((part) => part.predictions),
    groups: parts.flatMap((part) => part.groups),
  };
}

// "us" 100 examples at accuracy 0.9, "uk" 50 at 0.7, "nz" 10 at 0.5 (under the default minimum of 30).
const data = concat(group('us', 100, 90), group('uk', 50, 35), group('nz', 10, 5));
const report = sliceMetrics({ ...data, metric: classificationMetric(2) });

describe('sliceMetrics: two groups of known accuracy and one too small', () => {
  it('scores every group with its size, flagging the small one rather than dropping it', () => {
    expect(report.minGroupSize).toBe(30);
    expect(report.groups.map((g) => [g.group, g.size, g.metrics['accuracy'], g.isTooSmall])).toEqual([
      ['nz', 10, 0.5, true],
      ['uk', 50, 0.7, false],
      ['us', 100, 0.9, false],
    ]);
    expect(report.tooSmall).toEqual(['nz']);
  });

  it('gives the largest gap per metric between the groups large enough to compare', () => {
    const accuracy = report.gaps.find((gap) => gap.metric === 'accuracy');
    expect(accuracy).toEqual({ metric: 'accuracy', gap: 0.9 - 0.7, highest: { group: 'us', value: 0.9 }, lowest: { group: 'uk', value: 0.7 } });
    expect(report.gaps.map((gap) => gap.metric)).toEqual(Object.keys(report.groups[0]!.metrics));
  });

  it('compares the small group too once the minimum allows it', () => {
    const lenient = sliceMetrics({ ...data, metric: classificationMetric(2), minGroupSize: 10 });
    expect(lenient.tooSmall).toEqual([]);
    expect(lenient.gaps.find((gap) => gap.metric === 'accuracy')?.lowest).toEqual({ group: 'nz', value: 0.5 });
  });

  it('has no gaps when fewer than two groups are large enough', () => {
    const one = sliceMetrics({ ...data, metric: classificationMetric(2), minGroupSize: 60 });
    expect(one.gaps).toEqual([]);
    expect(one.tooSmall).toEqual(['nz', 'uk']);
  });

  it('orders integer-like groups numerically', () => {
    const numeric = concat(group('10', 2, 2), group('9', 2, 1), group('b', 2, 0), group('a', 2, 2));
    expect(sliceMetrics({ ...numeric, metric: classificationMetric(2) }).groups.map((g) => g.group)).toEqual(['9', '10', 'a', 'b']);
  });

  it('summarises groups and gaps for the terminal', () => {
    expect(summarizeSlices(report, ['accuracy'])).toEqual([
      '  nz: n=10, accuracy 0.5000 (too small: under 30, not compared)',
      '  uk: n=50, accuracy 0.7000',
      '  us: n=100, accuracy 0.9000',
      '  largest accuracy gap: 20.00 points (us 0.9000 vs uk 0.7000)',
    ]);
  });

  it('rejects groups that do not match the labels', () => {
    const wrong = (): unknown => sliceMetrics({ ...data, groups: data.groups.slice(1), metric: classificationMetric(2) });
    expect(wrong).toThrow('groups has 159 entries but labels has 160; give one per example.');
    try {
      wrong();
    } catch (error) {
      expect(errorCode(error)).toBe('EVALUATION_INPUT_INVALID');
    }
  });
});
