import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './progress.ts';

describe('progress without a terminal', () => {
  it('writes one JSON object per line', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    const reporter = createProgressReporter({ isTty: false, disableBar: false, out, err: out });
    reporter.start(10);
    reporter.log({ loss: 0.5, step: 2 });
    reporter.step({ step: 10, totalSteps: 10, loss: 0.4, samplesPerSecond: 12.345 });
    const lines = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { event: 'train_begin', max_steps: 10 },
      { event: 'log', loss: 0.5, step: 2 },
      { event: 'progress', step: 10, max_steps: 10, samples_per_second: 12.35 },
    ]);
  });
});
