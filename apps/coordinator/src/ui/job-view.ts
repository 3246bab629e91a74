import { JobState, type Job } from '@tunefleet/proto';
import type { JobView, LogEntry } from '@tunefleet/report';

/** The page's name of a state: JOB_STATE_RUNNING -> RUNNING. */
export function stateName(state: JobState): string {
  return (JobState[state] ?? 'UNSPECIFIED').replace(/^JOB_STATE_/, '');
}

/** A coordinator job as the live page shows it, with the log entries rank 0 reported so far. */
export function jobToView(job: Job, logHistory: readonly LogEntry[]): JobView {
  const p = job.progress;
  return {
    jobId: job.jobId,
    name: job.spec?.name || job.jobId,
    state: stateName(job.state),
    errorMessage: job.errorMessage,
    globalStep: p?.globalStep ?? 0,
    maxSteps: p?.maxSteps ?? 0,
    epoch: p?.epoch ?? 0,
    loss: p?.loss ?? 0,
    learningRate: p?.learningRate ?? 0,
    samplesPerSecond: p?.samplesPerSecond ?? 0,
    etaSeconds: p?.etaSeconds ?? 0,
    evalMetrics: p?.evalMetrics ?? {},
    logHistory,
    ranks: (p?.ranks ?? []).map((r) => ({ rank: r.rank, workerId: r.workerId, globalStep: r.globalStep, stepSeconds: r.stepSeconds, allreduceMs: r.allreduceMs })),
  };
}
