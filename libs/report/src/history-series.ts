import type { LogEntry } from './job-view.ts';
import type { Point, Series } from './line-chart.ts';

// Eval figures about speed, not quality: they have their own place (throughput), not the eval chart.
const EVAL_SPEED_KEYS = new Set(['eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second', 'eval_loss']);

function pointsOf(history: readonly LogEntry[], key: string): Point[] {
  return history.filter((entry) => typeof entry[key] === 'number' && typeof entry['step'] === 'number').map((entry) => [entry['step']!, entry[key]!] as const);
}

/** Training loss per logged step, and eval loss where evaluations ran. */
export function lossSeries(history: readonly LogEntry[]): Series[] {
  const evalLoss = pointsOf(history, 'eval_loss');
  return [{ name: 'train loss', points: pointsOf(history, 'loss') }, ...(evalLoss.length > 0 ? [{ name: 'eval loss', points: evalLoss }] : [])];
}

export function learningRateSeries(history: readonly LogEntry[]): Series[] {
  return [{ name: 'learning rate', points: pointsOf(history, 'learning_rate') }];
}

// One colour each; a task that computes more (macro and micro averages) shows its first six.
const MAX_EVAL_SERIES = 6;

/** Speed figures (runtime, samples/s) and eval_loss are not quality metrics. */
export const isEvalQualityMetric = (key: string): boolean => key.startsWith('eval_') && !EVAL_SPEED_KEYS.has(key);

/** One series per eval quality metric (eval_accuracy, eval_f1, ...), in order of first appearance. */
export function evalMetricSeries(history: readonly LogEntry[]): Series[] {
  const keys: string[] = [];
  for (const entry of history) {
    for (const key of Object.keys(entry)) if (isEvalQualityMetric(key) && !keys.includes(key)) keys.push(key);
  }
  return keys.slice(0, MAX_EVAL_SERIES).map((key) => ({ name: key.slice('eval_'.length), points: pointsOf(history, key) }));
}
