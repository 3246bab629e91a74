import { RankMetrics, type TunefleetMetrics } from '@tunefleet/metrics';
import type { StepSample, TrainingObserver } from '@tunefleet/trainer';
import type { RingSyncStats } from './ring-gradient-sync.ts';

/**
 * This rank's TrainingObserver: libs/metrics' RankMetrics under `{job, rank}`, plus each step's
 * all-reduce time and bytes, taken as the growth of the RingGradientSync totals since the last step
 * (so the initial parameter broadcast, made before training begins, is not counted as a step's).
 */
export function workerTrainingObserver(metrics: TunefleetMetrics, job: string, rank: number, syncStats: () => RingSyncStats): TrainingObserver {
  const rankMetrics = new RankMetrics(metrics, { job, rank });
  let last = syncStats();
  return {
    onTrainBegin: (step, maxSteps) => {
      last = syncStats();
      rankMetrics.onTrainBegin(step, maxSteps);
    },
    onStep: (sample: StepSample) => {
      const now = syncStats();
      rankMetrics.onAllReduce((now.milliseconds - last.milliseconds) / 1000, now.bytes - last.bytes);
      last = now;
      rankMetrics.onStep(sample);
    },
    onEvaluate: (values) => rankMetrics.onEvaluate(values),
    onCheckpoint: (seconds) => rankMetrics.onCheckpoint(seconds),
  };
}
