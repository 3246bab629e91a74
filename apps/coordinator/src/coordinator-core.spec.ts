import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobProgress, JobState, type RegisterRequest } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinatorCore } from './coordinator-core.ts';
import { CoordinatorError } from './coordinator-error.ts';
import { parseJobSpecYaml, validateJobSpec } from './job-spec.ts';

const TIMEOUT_MS = 1_000;

function spec(name: string, worldSize: number, extra = '') {
  const yaml = `name: ${name}\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: ${worldSize}\n${extra}` +
    'training_arguments:\n  output_dir: out\n  per_device_train_batch_size: 4\n  gradient_accumulation_steps: 2\n  seed: 9\n';
  return validateJobSpec(parseJobSpecYaml(yaml, 'job.yaml'), 'test');
}

const worker = (id: string, port: number): RegisterRequest => ({ workerId: id, collectiveAddress: `127.0.0.1:${port}`, cpuCount: 2, memoryBytes: 1e9, backend: 'cpu' });

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CoordinatorError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('CoordinatorCore', () => {
  let dir: string;
  let nowMs: number;
  let core: CoordinatorCore;
  const open = () => new CoordinatorCore(join(dir, 'jobs.db'), { heartbeatTimeoutMs: TIMEOUT_MS, now: () => nowMs });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordinator-core-'));
    nowMs = 1_000_000;
    core = open();
  });
  afterEach(() => {
    core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for world_size workers, then hands each its rank, ring neighbours and shard plan', () => {
    const job = core.submitJob(spec('a', 3));
    core.register(worker('w0', 5000));
    core.register(worker('w1', 5001));
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_PENDING);
    expect(core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment).toBeUndefined();
    core.register(worker('w2', 5002));
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
    const assignments = ['w0', 'w1', 'w2'].map((id) => core.heartbeat({ workerId: id, ringGeneration: 0 }).assignment!);
    expect(assignments.map((a) => [a.rank, a.worldSize, a.leftAddress, a.rightAddress])).toEqual([
      [0, 3, '127.0.0.1:5002', '127.0.0.1:5001'],
      [1, 3, '127.0.0.1:5000', '127.0.0.1:5002'],
      [2, 3, '127.0.0.1:5001', '127.0.0.1:5000'],
    ]);
    expect(new Set(assignments.map((a) => a.ringGeneration)).size).toBe(1);
    expect(assignments[1].shardPlan).toMatchObject({ seed: 9, numShards: 3, shardIndex: 1, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 2, dropLast: false });
  });

  it('schedules in strict FIFO order: a later small job waits behind an earlier big one', () => {
    const big = core.submitJob(spec('big', 3));
    const small = core.submitJob(spec('small', 1));
    core.register(worker('w0', 5000));
    expect(core.getJob(small.jobId).state).toBe(JobState.JOB_STATE_PENDING);
    core.register(worker('w1', 5001));
    core.register(worker('w2', 5002));
    expect(core.getJob(big.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
    core.register(worker('w3', 5003));
    expect(core.getJob(small.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
  });

  it('re-forms the ring without a worker that missed heartbeats; the survivor is stopped, then re-assigned', () => {
    const job = core.submitJob(spec('a', 2));
    core.register(worker('w0', 5000));
    core.register(worker('w1', 5001));
    const generation = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;
    nowMs += TIMEOUT_MS;
    core.heartbeat({ workerId: 'w0', ringGeneration: generation });
    core.sweep();
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
    nowMs += 1;
    core.sweep();
    const restarting = core.getJob(job.jobId);
    expect(restarting.state).toBe(JobState.JOB_STATE_RESTARTING);
    expect(restarting.statusMessage).toMatch(/rank 1 \(worker w1 at 127\.0\.0\.1:5001\) missed heartbeats for 1000 ms/);
    expect(core.heartbeat({ workerId: 'w0', ringGeneration: generation })).toMatchObject({ assignment: undefined, shouldStop: true, jobState: JobState.JOB_STATE_RESTARTING });
    // A report from the stale ring says stop too, and that the job goes on: leave without a final model.
    const staleReport = { workerId: 'w0', ringGeneration: generation, progress: JobProgress.fromPartial({ globalStep: 3 }), errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] };
    expect(core.reportProgress(staleReport)).toEqual({ shouldStop: true, jobState: JobState.JOB_STATE_RESTARTING });
    expect(codeOf(() => core.heartbeat({ workerId: 'w1', ringGeneration: generation }))).toBe('WORKER_NOT_FOUND');
    // w0 left the old ring and listens on a new port; the only expected worker is in: the ring forms at once.
    core.register(worker('w0', 5100));
    const next = core.heartbeat({ workerId: 'w0', ringGeneration: 0 });
    expect(next.assignment).toMatchObject({ rank: 0, worldSize: 1, rightAddress: '127.0.0.1:5100', restarts: 1, resumeCheckpoint: '' });
    expect(next.assignment!.shardPlan).toMatchObject({ numShards: 1, shardIndex: 0, globalMicroBatchSize: 8 });
    expect(next.assignment!.ringGeneration).toBeGreaterThan(generation);
    expect(core.getJob(job.jobId)).toMatchObject({ state: JobState.JOB_STATE_RUNNING, progress: { restarts: 1 } });
    expect(core.getJob(job.jobId).statusMessage).toMatch(/^re-formed on 1 of world_size 2 ranks from the start \(restart 1\)/);
  });

  it('a worker that registers during a job joins at the next committed checkpoint (up to max_workers)', () => {
    const job = core.submitJob(spec('grow', 1, 'max_workers: 2\n'));
    core.register(worker('w0', 5000));
    const generation = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;
    core.register(worker('w1', 5001));
    expect(core.heartbeat({ workerId: 'w1', ringGeneration: 0 }).assignment).toBeUndefined();
    const report = (step: number, checkpoint: boolean) =>
      core.reportProgress({
        workerId: 'w0',
        ringGeneration: generation,
        progress: JobProgress.fromPartial({ globalStep: step }),
        errorCode: '',
        errorMessage: '',
        isErrorRetryable: false,
        suspectRanks: [],
        samples: [{ step, epoch: 0, ranges: [step * 8 - 8, step * 8] }],
        ...(checkpoint ? { checkpointStep: step, checkpointDir: `out/checkpoint-${step}` } : {}),
      });
    expect(report(1, false)).toEqual({ shouldStop: false, jobState: JobState.JOB_STATE_RUNNING });
    // Step 2's checkpoint is committed (the ledger covers it): the ring re-forms with w1.
    expect(report(2, true)).toEqual({ shouldStop: true, jobState: JobState.JOB_STATE_RESTARTING });
    expect(core.getJob(job.jobId).statusMessage).toMatch(/worker w1 at 127\.0\.0\.1:5001 registered during the job; the ring grows from 1 to 2 ranks at checkpoint step 2/);
    core.register(worker('w0', 5100));
    const next = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!;
    expect(next).toMatchObject({ rank: 0, worldSize: 2, resumeCheckpoint: 'out/checkpoint-2', restarts: 0, rightAddress: '127.0.0.1:5001' });
    expect(next.shardPlan).toMatchObject({ globalMicroBatchSize: 4 });
    expect(core.heartbeat({ workerId: 'w1', ringGeneration: 0 }).assignment).toMatchObject({ rank: 1, worldSize: 2 });
    expect(core.getJob(job.jobId).statusMessage).toMatch(/^re-formed on 2 of world_size 1 ranks from out\/checkpoint-2 \(step 2\).*sliced across 2 ranks/);
  });

  it('takes progress from rank 0, succeeds when rank 0 reports success, and notifies watchers', () => {
    const job = core.submitJob(spec('a', 2));
    const seen: JobState[] = [];
    core.watch(job.jobId, (progress) => seen.push(progress.state));
    core.register(worker('w0', 5000));
    core.register(worker('w1', 5001));
    const ringGeneration = core.heartbeat({ workerId: 'w1', ringGeneration: 0 }).assignment!.ringGeneration;
    const report = (workerId: string, progress: Partial<JobProgress>) =>
      core.reportProgress({ workerId, ringGeneration, progress: JobProgress.fromPartial(progress), errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] });
    expect(report('w0', { globalStep: 5, loss: 0.5 })).toEqual({ shouldStop: false, jobState: JobState.JOB_STATE_RUNNING });
    report('w1', { globalStep: 99 });
    expect(core.getJob(job.jobId).progress).toMatchObject({ globalStep: 5, loss: 0.5, state: JobState.JOB_STATE_RUNNING });
    expect(report('w0', { globalStep: 10, state: JobState.JOB_STATE_SUCCEEDED })).toEqual({ shouldStop: true, jobState: JobState.JOB_STATE_SUCCEEDED });
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_SUCCEEDED);
    // Submitted, formed, rank 0's report, rank 1's figures (JobProgress.ranks), success.
    expect(seen).toEqual([JobState.JOB_STATE_PENDING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SUCCEEDED]);
    // The job ended: a late rank is told so (it leaves; no ring re-forms).
    expect(report('w1', { globalStep: 10 })).toEqual({ shouldStop: true, jobState: JobState.JOB_STATE_SUCCEEDED });
  });

  it('a rank that finished its part may exit before rank 0 reports success: no restart', () => {
    const job = core.submitJob(spec('a', 2));
    core.register(worker('w0', 5000));
    core.register(worker('w1', 5001));
    const ringGeneration = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;
    const progress = JobProgress.fromPartial({ globalStep: 10, state: JobState.JOB_STATE_SUCCEEDED });
    core.reportProgress({ workerId: 'w1', ringGeneration, progress, errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] });
    core.deregister({ workerId: 'w1', reason: 'the worker process exits' });
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
    core.reportProgress({ workerId: 'w0', ringGeneration, progress, errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] });
    expect(core.getJob(job.jobId)).toMatchObject({ state: JobState.JOB_STATE_SUCCEEDED, progress: { restarts: 0 } });
  });

  it('fails a job with the reported error and names the rank', () => {
    const job = core.submitJob(spec('a', 1));
    core.register(worker('w0', 5000));
    const ringGeneration = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;
    core.reportProgress({ workerId: 'w0', ringGeneration, progress: undefined, errorCode: 'DATASET_MISSING', errorMessage: 't.tsv not found', isErrorRetryable: false, samples: [], suspectRanks: [] });
    expect(core.getJob(job.jobId)).toMatchObject({ state: JobState.JOB_STATE_FAILED, errorMessage: 'rank 0 (worker w0 at 127.0.0.1:5000) failed: DATASET_MISSING: t.tsv not found.' });
  });

  it('cancels: workers are told to stop, the job cannot be cancelled into another state, names free up', () => {
    const job = core.submitJob(spec('a', 1));
    expect(codeOf(() => core.submitJob(spec('a', 1)))).toBe('JOB_NAME_TAKEN');
    core.register(worker('w0', 5000));
    const ringGeneration = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;
    expect(core.cancelJob(job.jobId).state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(core.cancelJob(job.jobId).state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(core.heartbeat({ workerId: 'w0', ringGeneration }).shouldStop).toBe(true);
    expect(core.submitJob(spec('a', 1)).state).toBe(JobState.JOB_STATE_RUNNING);
    expect(codeOf(() => core.cancelJob('nope'))).toBe('JOB_NOT_FOUND');
  });

  it('registering twice is idempotent for the same id and address; a conflicting one is WORKER_CONFLICT', () => {
    core.register(worker('w0', 5000));
    expect(core.register(worker('w0', 5000)).heartbeatIntervalMs).toBe(333);
    expect(codeOf(() => core.register(worker('w1', 5000)))).toBe('WORKER_CONFLICT');
    // An idle worker may move (it re-listens to join a re-formed ring); one in a running ring may not.
    core.register(worker('w0', 5002));
    core.submitJob(spec('solo', 1));
    expect(codeOf(() => core.register(worker('w0', 5003)))).toBe('WORKER_CONFLICT');
    expect(codeOf(() => core.register({ ...worker('', 1), collectiveAddress: 'nope' }))).toBe('REQUEST_INVALID');
    core.submitJob(spec('a', 1));
    core.register(worker('w1', 5001));
    expect(core.heartbeat({ workerId: 'w1', ringGeneration: 0 }).assignment?.worldSize).toBe(1);
  });

  it('keeps jobs, final states and running gangs across a restart', () => {
    const done = core.submitJob(spec('done', 1));
    core.register(worker('w0', 5000));
    core.cancelJob(done.jobId);
    const running = core.submitJob(spec('running', 1));
    const before = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!;
    const generation = before.ringGeneration;
    const pending = core.submitJob(spec('pending', 2));
    core.close();
    core = open();
    expect(core.getJob(done.jobId).state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(core.getJob(pending.jobId).state).toBe(JobState.JOB_STATE_PENDING);
    expect(core.getJob(running.jobId).state).toBe(JobState.JOB_STATE_RUNNING);
    const after = core.heartbeat({ workerId: 'w0', ringGeneration: generation });
    expect(after).toMatchObject({ shouldStop: false, assignment: { jobId: running.jobId, rank: 0, ringGeneration: generation } });
    // The job's secret is in the store: a rank that fetches its assignment after the restart gets its neighbours' keys.
    expect(Buffer.from(after.assignment!.sendKey).equals(Buffer.from(before.sendKey))).toBe(true);
    expect(Buffer.from(after.assignment!.receiveKey).equals(Buffer.from(before.receiveKey))).toBe(true);
    expect(core.listJobs([], 2, '').jobs.map((job) => job.jobId)).toEqual([done.jobId, running.jobId]);
    const next = core.listJobs([], 2, core.listJobs([], 2, '').nextPageToken);
    expect(next).toEqual({ jobs: [expect.objectContaining({ jobId: pending.jobId })], nextPageToken: '' });
    expect(core.submitJob(spec('later', 1)).state).toBe(JobState.JOB_STATE_PENDING);
    expect(core.register(worker('w9', 5009)) && core.listJobs([JobState.JOB_STATE_RUNNING], 0, '').jobs).toHaveLength(1);
  });
});
