import { describe, expect, it } from 'vitest';
import { bindCoordinatorMetrics, countWorkerRestarts } from './coordinator-metrics.ts';
import { RankMetrics, type RankStep } from './rank-metrics.ts';
import { TUNEFLEET_METRIC_NAMES, TunefleetMetrics } from './tunefleet-metrics.ts';

const STEP: RankStep = { step: 1, maxSteps: 4, epoch: 0.25, loss: 0.7, learningRate: 2e-5, gradNorm: 1.5, samples: 8, tokens: 128, stepSeconds: 0.3 };

/** The value of one series in a text exposition, or undefined when absent. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('TunefleetMetrics', () => {
  it('defines every metric of issue 12 once, and prom-client defaults on request', () => {
    expect([...TUNEFLEET_METRIC_NAMES].sort()).toEqual(
      [
        'tunefleet_train_loss',
        'tunefleet_learning_rate',
        'tunefleet_grad_norm',
        'tunefleet_global_step',
        'tunefleet_epoch',
        'tunefleet_samples_total',
        'tunefleet_tokens_total',
        'tunefleet_step_seconds',
        'tunefleet_allreduce_seconds',
        'tunefleet_allreduce_bytes_total',
        'tunefleet_checkpoint_seconds',
        'tunefleet_eval_metric',
        'tunefleet_job_progress_ratio',
        'tunefleet_job_eta_seconds',
        'tunefleet_last_step_timestamp_seconds',
        'tunefleet_workers',
        'tunefleet_jobs',
        'tunefleet_worker_restarts_total',
        'tunefleet_nonfinite_steps_total',
      ].sort(),
    );
    const withDefaults = new TunefleetMetrics().names();
    expect(withDefaults).toContain('process_cpu_seconds_total');
    expect(withDefaults).toContain('nodejs_heap_size_used_bytes');
    expect(new TunefleetMetrics({ defaultMetrics: false }).names()).not.toContain('process_cpu_seconds_total');
  });

  it('keeps two registries in one process apart', async () => {
    const a = new TunefleetMetrics({ defaultMetrics: false });
    const b = new TunefleetMetrics({ defaultMetrics: false });
    new RankMetrics(a, { job: 'j', rank: 0 }).onStep(STEP);
    expect(valueOf(await a.exposition(), 'tunefleet_global_step{job="j",rank="0"}')).toBe(1);
    expect(valueOf(await b.exposition(), 'tunefleet_global_step{job="j",rank="0"}')).toBeUndefined();
  });
});

describe('RankMetrics', () => {
  it('sets the step gauges, adds samples and tokens, and observes the step time under job and rank', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    const rank = new RankMetrics(metrics, { job: 'sst2-1', rank: 1, nowMs: () => 5_000 });
    rank.onStep(STEP);
    rank.onStep({ ...STEP, step: 2, loss: 0.6, samples: 4, tokens: 64, stepSeconds: 0.4 });
    const text = await metrics.exposition();
    const labels = '{job="sst2-1",rank="1"}';
    expect(valueOf(text, `tunefleet_global_step${labels}`)).toBe(2);
    expect(valueOf(text, `tunefleet_train_loss${labels}`)).toBe(0.6);
    expect(valueOf(text, `tunefleet_learning_rate${labels}`)).toBe(2e-5);
    expect(valueOf(text, `tunefleet_grad_norm${labels}`)).toBe(1.5);
    expect(valueOf(text, `tunefleet_epoch${labels}`)).toBe(0.25);
    expect(valueOf(text, `tunefleet_samples_total${labels}`)).toBe(12);
    expect(valueOf(text, `tunefleet_tokens_total${labels}`)).toBe(192);
    expect(valueOf(text, `tunefleet_step_seconds_count${labels}`)).toBe(2);
    expect(valueOf(text, `tunefleet_step_seconds_sum${labels}`)).toBeCloseTo(0.7, 10);
    expect(valueOf(text, `tunefleet_last_step_timestamp_seconds${labels}`)).toBe(5);
    expect(valueOf(text, `tunefleet_nonfinite_steps_total${labels}`)).toBe(0);
    // A worker leaves progress to the coordinator.
    expect(text).not.toMatch(/^tunefleet_job_progress_ratio\{/m);
  });

  it('counts steps whose loss or gradient norm is not finite', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    const rank = new RankMetrics(metrics, { job: 'j', rank: 0 });
    rank.onStep({ ...STEP, loss: Number.NaN });
    rank.onStep({ ...STEP, step: 2, gradNorm: Number.POSITIVE_INFINITY });
    rank.onStep({ ...STEP, step: 3 });
    const text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_nonfinite_steps_total{job="j",rank="0"}')).toBe(2);
    expect(valueOf(text, 'tunefleet_train_loss{job="j",rank="0"}')).toBe(0.7);
  });

  it('exports eval metrics by name without the runtime figures, and checkpoint and all-reduce times', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    const rank = new RankMetrics(metrics, { job: 'j', rank: 0 });
    rank.onEvaluate({ eval_loss: 0.4, eval_accuracy: 0.875, eval_runtime: 3, eval_samples_per_second: 100, eval_steps_per_second: 4 });
    rank.onCheckpoint(1.25);
    rank.onAllReduce(0.02, 4096);
    rank.onAllReduce(0.03, 4096);
    const text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_eval_metric{job="j",rank="0",name="eval_accuracy"}')).toBe(0.875);
    expect(valueOf(text, 'tunefleet_eval_metric{job="j",rank="0",name="eval_loss"}')).toBe(0.4);
    expect(text).not.toContain('name="eval_runtime"');
    expect(text).not.toContain('name="eval_samples_per_second"');
    expect(valueOf(text, 'tunefleet_checkpoint_seconds_count{job="j",rank="0"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_checkpoint_seconds_bucket{le="2.5",job="j",rank="0"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_checkpoint_seconds_bucket{le="1",job="j",rank="0"}')).toBe(0);
    expect(valueOf(text, 'tunefleet_allreduce_seconds_count{job="j",rank="0"}')).toBe(2);
    expect(valueOf(text, 'tunefleet_allreduce_bytes_total{job="j",rank="0"}')).toBe(8192);
  });

  it('exports progress and an ETA from the mean step time when it speaks for the job (one process)', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    let nowMs = 10_000;
    const rank = new RankMetrics(metrics, { job: 'local', rank: 0, isJobProgressExported: true, nowMs: () => nowMs });
    rank.onTrainBegin(0, 4);
    expect(valueOf(await metrics.exposition(), 'tunefleet_last_step_timestamp_seconds{job="local",rank="0"}')).toBe(10);
    nowMs += 2_000;
    rank.onStep(STEP);
    let text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_job_progress_ratio{job="local"}')).toBe(0.25);
    expect(valueOf(text, 'tunefleet_job_eta_seconds{job="local"}')).toBe(6); // 2 s per step, 3 steps left
    nowMs += 2_000;
    rank.onStep({ ...STEP, step: 4 }); // resumed runs may jump
    text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_job_progress_ratio{job="local"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_job_eta_seconds{job="local"}')).toBe(0);
  });
});

describe('bindCoordinatorMetrics', () => {
  it('reads the coordinator at each scrape: every state (zeros too), and only running jobs', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    let running = [{ job: 'a-1', progressRatio: 0.5, etaSeconds: 30 }];
    let pending = 1;
    bindCoordinatorMetrics(metrics, {
      jobCounts: () => ({ pending, running: running.length, failed: 2 }),
      workerCounts: () => ({ idle: 1, busy: 2 }),
      runningJobs: () => running,
    });
    let text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_jobs{state="pending"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_jobs{state="running"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_jobs{state="failed"}')).toBe(2);
    expect(valueOf(text, 'tunefleet_jobs{state="succeeded"}')).toBe(0);
    expect(valueOf(text, 'tunefleet_workers{state="busy"}')).toBe(2);
    expect(valueOf(text, 'tunefleet_job_progress_ratio{job="a-1"}')).toBe(0.5);
    expect(valueOf(text, 'tunefleet_job_eta_seconds{job="a-1"}')).toBe(30);
    running = [];
    pending = 0;
    text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_jobs{state="pending"}')).toBe(0);
    expect(valueOf(text, 'tunefleet_job_progress_ratio{job="a-1"}')).toBeUndefined();
  });

  it('counts ring restarts by job', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    countWorkerRestarts(metrics, 'a-1');
    countWorkerRestarts(metrics, 'a-1', 2);
    expect(valueOf(await metrics.exposition(), 'tunefleet_worker_restarts_total{job="a-1"}')).toBe(3);
  });
});
