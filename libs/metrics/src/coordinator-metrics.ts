import { JOB_STATES, WORKER_STATES, type TunefleetMetrics } from './tunefleet-metrics.ts';

export type JobStateName = (typeof JOB_STATES)[number];
export type WorkerStateName = (typeof WORKER_STATES)[number];

/** A running job as the coordinator knows it from rank 0's progress reports. */
export interface JobProgressSample {
  readonly job: string;
  /** 0 to 1. */
  readonly progressRatio: number;
  readonly etaSeconds: number;
}

/** What the coordinator exposes of its state, read at every scrape (so the gauges are never stale). */
export interface CoordinatorMetricsSource {
  jobCounts(): Partial<Record<JobStateName, number>>;
  workerCounts(): Partial<Record<WorkerStateName, number>>;
  runningJobs(): readonly JobProgressSample[];
}

/**
 * Fills the coordinator's gauges from `source` at each scrape: jobs and workers by state (every
 * state, zeros included, so `tunefleet_jobs{state="pending"}` exists before the first job), and the
 * progress and ETA of each running job (a finished job's series go away).
 */
export function bindCoordinatorMetrics(metrics: TunefleetMetrics, source: CoordinatorMetricsSource): void {
  metrics.onCollect(() => {
    const jobs = source.jobCounts();
    for (const state of JOB_STATES) metrics.jobs.set({ state }, jobs[state] ?? 0);
    const workers = source.workerCounts();
    for (const state of WORKER_STATES) metrics.workers.set({ state }, workers[state] ?? 0);
    metrics.jobProgressRatio.reset();
    metrics.jobEtaSeconds.reset();
    for (const running of source.runningJobs()) {
      metrics.jobProgressRatio.set({ job: running.job }, running.progressRatio);
      metrics.jobEtaSeconds.set({ job: running.job }, running.etaSeconds);
    }
  });
}

/** `restarts` more re-formations of `job`'s ring. */
export function countWorkerRestarts(metrics: TunefleetMetrics, job: string, restarts = 1): void {
  metrics.workerRestartsTotal.inc({ job }, restarts);
}
