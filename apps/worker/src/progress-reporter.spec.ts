import { JobState, type JobProgress } from '@tunefleet/proto';
import type { TrainerProgress } from '@tunefleet/trainer';
import { describe, expect, it } from 'vitest';
import { ProgressReporter } from './progress-reporter.ts';

const state = (globalStep: number, samplesSeen: number): TrainerProgress => ({
  globalStep,
  maxSteps: 10,
  epoch: globalStep / 5,
  numTrainEpochs: 2,
  samplesSeen,
  loss: 0.5,
  learningRate: 1e-3,
  bestMetric: null,
  bestModelCheckpoint: null,
  isWorldProcessZero: true,
});

describe('ProgressReporter', () => {
  it('reports step, loss, lr, grad norm, eval metrics, all-reduce totals and percent done; relays should_stop', async () => {
    const sent: JobProgress[] = [];
    let stops = 0;
    let answer = false;
    const stats = { calls: 4, collectives: 4, bytes: 4096, milliseconds: 12.5, lastBytes: 1024, lastMilliseconds: 3 };
    const reporter = new ProgressReporter('job-1', 2, () => stats, async (p) => (sent.push(p), answer), () => stops++);
    reporter.onTrainBegin(state(0, 0));
    await reporter.onStepEnd(state(4, 16)); // the first step end reports; the next within a second does not
    await reporter.onStepEnd(state(4, 16));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ globalStep: 4, logEntryJson: '' });
    sent.length = 0;
    await reporter.onLog({ loss: 0.42, grad_norm: 1.5, learning_rate: 2e-4, epoch: 0.8, step: 4 }, state(4, 16));
    await reporter.onLog({ eval_loss: 0.3, eval_accuracy: 0.75, epoch: 0.8, step: 4 }, state(4, 16));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({
      jobId: 'job-1',
      state: JobState.JOB_STATE_RUNNING,
      globalStep: 4,
      maxSteps: 10,
      loss: 0.42,
      learningRate: 2e-4,
      gradNorm: 1.5,
      evalMetrics: { eval_loss: 0.3, eval_accuracy: 0.75 },
      percentDone: 40,
      allreduceMs: 12.5,
      allreduceBytes: 4096,
    });
    expect(JSON.parse(sent[0]!.logEntryJson)).toEqual({ loss: 0.42, grad_norm: 1.5, learning_rate: 2e-4, epoch: 0.8, step: 4 });
    expect(JSON.parse(sent[1]!.logEntryJson)).toEqual({ eval_loss: 0.3, eval_accuracy: 0.75, epoch: 0.8, step: 4 });
    expect(sent[1]!.samplesPerSecond).toBeGreaterThan(0);
    expect(sent[1]!.lastStepUnixMs).toBeGreaterThan(0);
    expect(stops).toBe(0);
    answer = true;
    await reporter.report(JobState.JOB_STATE_SUCCEEDED);
    expect(sent[2]!.logEntryJson).toBe('');
    expect(sent[2]!.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(stops).toBe(1);
  });
});
