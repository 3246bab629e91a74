import { bindCoordinatorMetrics, countWorkerRestarts, type JobStateName, type TunefleetMetrics } from '@tunefleet/metrics';
import { JobState, type Job } from '@tunefleet/proto';
import type { CoordinatorCore } from './coordinator-core.ts';
import { ACTIVE_STATES } from './job-store.ts';

// Jobs whose progress and ETA are exported: those with a ring, or re-forming one.
const IN_PROGRESS = new Set([JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_RESTARTING, JobState.JOB_STATE_WAITING_FOR_WORKERS]);
const FINISHED = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);
// More held jobs than this are not listed per scrape (the queue is FIFO; thousands would be a misuse).
const MAX_HELD_JOBS = 1000;

/** `JOB_STATE_WAITING_FOR_WORKERS` -> `waiting_for_workers`, the `state` label of tunefleet_jobs. */
export function jobStateLabel(state: JobState): JobStateName | undefined {
  const name = JobState[state];
  if (name === undefined || state === JobState.JOB_STATE_UNSPECIFIED) return undefined;
  return name.replace(/^JOB_STATE_/, '').toLowerCase() as JobStateName;
}

/**
 * The coordinator's series: tunefleet_jobs{state} (held jobs as they are at the scrape, finished
 * ones counted as they finish), tunefleet_workers{state}, each job's progress ratio and ETA from rank
 * 0's reports, and tunefleet_worker_restarts_total{job} from the ring re-formations. Returns the
 * unsubscribe from the core's job changes.
 */
export function exportCoordinatorMetrics(core: CoordinatorCore, metrics: TunefleetMetrics): () => void {
  const finished = new Map<string, JobStateName>();
  const restartsSeen = new Map<string, number>();
  const onChange = (job: Job): void => {
    const restarts = job.progress?.restarts ?? 0;
    // The series starts at 0 with the job, so increase() in an alert sees its first restart too.
    if (!restartsSeen.has(job.jobId) && !FINISHED.has(job.state)) countWorkerRestarts(metrics, job.jobId, 0);
    const delta = restarts - (restartsSeen.get(job.jobId) ?? 0);
    if (delta > 0) countWorkerRestarts(metrics, job.jobId, delta);
    restartsSeen.set(job.jobId, Math.max(restarts, restartsSeen.get(job.jobId) ?? 0));
    const label = jobStateLabel(job.state);
    if (FINISHED.has(job.state) && label !== undefined) {
      finished.set(job.jobId, label);
      restartsSeen.delete(job.jobId);
    }
  };
  const unsubscribe = core.onJobChange(onChange);
  const heldJobs = (): Job[] => core.listJobs(ACTIVE_STATES, MAX_HELD_JOBS, '').jobs;
  bindCoordinatorMetrics(metrics, {
    jobCounts: () => {
      const counts: Partial<Record<JobStateName, number>> = {};
      const add = (label: JobStateName | undefined): void => {
        if (label !== undefined) counts[label] = (counts[label] ?? 0) + 1;
      };
      for (const job of heldJobs()) add(jobStateLabel(job.state));
      for (const label of finished.values()) add(label);
      return counts;
    },
    workerCounts: () => core.workerCounts(),
    runningJobs: () =>
      heldJobs()
        .filter((job) => IN_PROGRESS.has(job.state))
        .map((job) => ({
          job: job.jobId,
          progressRatio: Math.min(Math.max((job.progress?.percentDone ?? 0) / 100, 0), 1),
          etaSeconds: job.progress?.etaSeconds ?? 0,
        })),
  });
  return unsubscribe;
}
