import { randomBytes } from 'node:crypto';
import {
  JobProgress,
  JobState,
  type Assignment,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type Job,
  type RegisterRequest,
  type ReportProgressRequest,
  type ReportProgressResponse,
} from '@tunefleet/proto';
import { parseTrainingArguments, type TrainingArguments } from '@tunefleet/trainer';
import { CoordinatorError } from './coordinator-error.ts';
import type { ValidatedJobSpec } from './job-spec.ts';
import { JobStore, type AssignmentRow } from './job-store.ts';
import { buildShardPlan } from './shard-plan.ts';
import { WorkerRegistry } from './worker-registry.ts';

export interface CoreOptions {
  readonly heartbeatTimeoutMs: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

interface ActiveJob {
  job: Job;
  ringGeneration: number;
  /** Worker ids by rank while RUNNING; empty while PENDING. */
  ranks: AssignmentRow[];
  /** Resolved training arguments, parsed on first use (the spec was validated at submission). */
  args?: TrainingArguments;
}

export type ProgressListener = (progress: JobProgress) => void;

const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);
export const isTerminal = (state: JobState): boolean => TERMINAL.has(state);

/**
 * The coordinator's state machine, free of gRPC: jobs (persisted), workers (in memory), gang
 * scheduling in strict FIFO order, heartbeat deadlines. Every method is synchronous, so no two
 * requests interleave inside one.
 */
export class CoordinatorCore {
  private readonly store: JobStore;
  private readonly workers = new WorkerRegistry();
  private readonly active = new Map<string, ActiveJob>();
  private readonly listeners = new Map<string, Set<ProgressListener>>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private ringGeneration: number;

  constructor(
    dbPath: string,
    private readonly options: CoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.store = new JobStore(dbPath);
    this.ringGeneration = this.store.maxRingGeneration();
    this.recover();
  }

  get heartbeatIntervalMs(): number {
    // Three beats per deadline: one lost or late beat never declares a healthy worker dead.
    return Math.max(50, Math.floor(this.options.heartbeatTimeoutMs / 3));
  }

  submitJob(validated: ValidatedJobSpec): Job {
    const nowMs = this.now();
    const jobId = `${validated.spec.name}-${randomBytes(4).toString('hex')}`;
    const job: Job = {
      jobId,
      spec: validated.spec,
      state: JobState.JOB_STATE_PENDING,
      errorMessage: '',
      createdUnixMs: nowMs,
      updatedUnixMs: nowMs,
      progress: JobProgress.fromPartial({ jobId, state: JobState.JOB_STATE_PENDING }),
    };
    if (!this.store.insertJob(job)) {
      throw new CoordinatorError('JOB_NAME_TAKEN', `a job named ${validated.spec.name} is already pending or running; cancel it or pick another name.`);
    }
    this.active.set(jobId, { job, ringGeneration: 0, ranks: [] });
    this.log(`job ${jobId} submitted (world_size ${validated.spec.worldSize})`);
    this.schedule();
    return this.active.get(jobId)?.job ?? job;
  }

  getJob(jobId: string): Job {
    const job = this.active.get(jobId)?.job ?? this.store.getJob(jobId);
    if (job === undefined) throw new CoordinatorError('JOB_NOT_FOUND', `no job with id ${JSON.stringify(jobId)}; \`tunefleet status\` lists jobs.`);
    return job;
  }

  listJobs(states: readonly JobState[], pageSize: number, pageToken: string): { jobs: Job[]; nextPageToken: string } {
    const afterSeq = pageToken === '' ? 0 : Number(pageToken);
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new CoordinatorError('REQUEST_INVALID', `ListJobs: page_token ${JSON.stringify(pageToken)} is not one this coordinator issued.`);
    const limit = pageSize === 0 ? 100 : Math.min(pageSize, 1000);
    const page = this.store.listJobs(states, limit, afterSeq);
    const jobs = page.jobs.map((job) => this.active.get(job.jobId)?.job ?? job);
    return { jobs, nextPageToken: page.hasMore ? String(page.lastSeq) : '' };
  }

  cancelJob(jobId: string): Job {
    const job = this.getJob(jobId);
    if (job.state === JobState.JOB_STATE_CANCELLED) return job;
    if (isTerminal(job.state)) {
      throw new CoordinatorError('JOB_ALREADY_FINISHED', `job ${jobId} already finished (${JobState[job.state]}); nothing to cancel.`);
    }
    return this.finish(jobId, JobState.JOB_STATE_CANCELLED, '');
  }

  /** Calls `listener` with the current progress now and on every change; returns the unsubscribe. */
  watch(jobId: string, listener: ProgressListener): () => void {
    const job = this.getJob(jobId);
    listener(progressOf(job));
    if (isTerminal(job.state)) return () => {};
    const set = this.listeners.get(jobId) ?? new Set();
    set.add(listener);
    this.listeners.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  register(request: RegisterRequest): { heartbeatIntervalMs: number } {
    const isNew = this.workers.get(request.workerId.trim()) === undefined;
    const worker = this.workers.register(request, this.now());
    if (isNew) this.log(`worker ${worker.workerId} registered (collective ${worker.collectiveAddress}, ${worker.backend || 'unknown'} backend)`);
    this.schedule();
    return { heartbeatIntervalMs: this.heartbeatIntervalMs };
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const worker = this.workers.require(request.workerId, 'Heartbeat');
    worker.lastSeenMs = this.now();
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    if (active === undefined) return { assignment: undefined, shouldStop: request.ringGeneration !== 0 };
    return {
      assignment: this.assignmentFor(active, request.workerId),
      shouldStop: request.ringGeneration !== 0 && request.ringGeneration !== active.ringGeneration,
    };
  }

  reportProgress(request: ReportProgressRequest): ReportProgressResponse {
    const worker = this.workers.require(request.workerId, 'ReportProgress');
    worker.lastSeenMs = this.now();
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    if (active === undefined || request.ringGeneration !== active.ringGeneration) return { shouldStop: true };
    const rank = active.ranks.findIndex((row) => row.workerId === worker.workerId);
    const reported = request.progress;
    if (request.errorCode !== '' || reported?.state === JobState.JOB_STATE_FAILED) {
      const what = request.errorCode === '' ? 'reported failure' : `failed: ${request.errorCode}: ${request.errorMessage}`;
      const retry = request.isErrorRetryable ? ' The fault is retryable: resubmit the job (elastic restarts are not implemented yet).' : '';
      this.finish(active.job.jobId, JobState.JOB_STATE_FAILED, `rank ${rank} (worker ${worker.workerId}) ${what}.${retry}`);
      return { shouldStop: true };
    }
    if (rank === 0 && reported !== undefined) {
      // Rank 0 speaks for the job: every rank runs the same steps, and rank 0 writes the model.
      active.job = { ...active.job, updatedUnixMs: this.now(), progress: { ...reported, jobId: active.job.jobId, state: active.job.state } };
      if (reported.state === JobState.JOB_STATE_SUCCEEDED) {
        this.finish(active.job.jobId, JobState.JOB_STATE_SUCCEEDED, '');
        return { shouldStop: true };
      }
      this.store.updateJob(active.job, active.ringGeneration);
      this.emit(active.job);
    }
    return { shouldStop: false };
  }

  /** Declares workers lost whose last heartbeat is older than the deadline; fails their jobs. */
  sweep(): void {
    const nowMs = this.now();
    const timeoutMs = this.options.heartbeatTimeoutMs;
    const lostByJob = new Map<string, { rank: number; workerId: string }[]>();
    for (const worker of this.workers.all()) {
      if (nowMs - worker.lastSeenMs <= timeoutMs) continue;
      this.workers.remove(worker.workerId);
      this.log(`worker ${worker.workerId} lost: no heartbeat for ${nowMs - worker.lastSeenMs} ms`);
      const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
      if (active === undefined) continue;
      const rank = active.ranks.findIndex((row) => row.workerId === worker.workerId);
      const lost = lostByJob.get(active.job.jobId) ?? [];
      lost.push({ rank, workerId: worker.workerId });
      lostByJob.set(active.job.jobId, lost);
    }
    for (const [jobId, lost] of lostByJob) {
      lost.sort((a, b) => a.rank - b.rank);
      const who =
        lost.length === 1
          ? `rank ${lost[0].rank} (worker ${lost[0].workerId})`
          : `ranks [${lost.map((l) => l.rank).join(', ')}] (workers ${lost.map((l) => l.workerId).join(', ')})`;
      this.finish(jobId, JobState.JOB_STATE_FAILED, `${who} missed heartbeats for ${timeoutMs} ms; check those workers' logs, then resubmit the job.`);
    }
  }

  close(): void {
    this.listeners.clear();
    this.store.close();
  }

  private finish(jobId: string, state: JobState, errorMessage: string): Job {
    const active = this.active.get(jobId);
    if (active === undefined) return this.getJob(jobId);
    const job: Job = { ...active.job, state, errorMessage, updatedUnixMs: this.now() };
    job.progress = { ...progressOf(active.job), state };
    this.store.updateJob(job, active.ringGeneration);
    this.store.replaceAssignments(jobId, []);
    this.active.delete(jobId);
    for (const row of active.ranks) {
      const worker = this.workers.get(row.workerId);
      if (worker?.jobId === jobId) worker.jobId = undefined;
    }
    this.log(`job ${jobId} ${JobState[state]}${errorMessage === '' ? '' : `: ${errorMessage}`}`);
    this.emit(job);
    this.listeners.delete(jobId);
    this.schedule();
    return job;
  }

  /** Strict FIFO gang scheduling: the oldest waiting job starts once world_size workers are idle. */
  private schedule(): void {
    for (const active of this.active.values()) {
      if (active.job.state !== JobState.JOB_STATE_PENDING) continue;
      const worldSize = active.job.spec?.worldSize ?? 0;
      const idle = this.workers.idle();
      if (idle.length < worldSize) return; // Later jobs wait too, so a big job is never starved.
      const generation = ++this.ringGeneration;
      active.ringGeneration = generation;
      active.ranks = idle.slice(0, worldSize).map((worker, rank) => {
        worker.jobId = active.job.jobId;
        return { jobId: active.job.jobId, rank, workerId: worker.workerId, collectiveAddress: worker.collectiveAddress, ringGeneration: generation };
      });
      const state = JobState.JOB_STATE_RUNNING;
      active.job = { ...active.job, state, updatedUnixMs: this.now(), progress: { ...progressOf(active.job), state } };
      this.store.replaceAssignments(active.job.jobId, active.ranks);
      this.store.updateJob(active.job, generation);
      this.log(`job ${active.job.jobId} running on ${active.ranks.map((row) => `rank ${row.rank}=${row.workerId}`).join(', ')} (ring ${generation})`);
      this.emit(active.job);
    }
  }

  private assignmentFor(active: ActiveJob, workerId: string): Assignment | undefined {
    const rank = active.ranks.findIndex((row) => row.workerId === workerId);
    if (rank < 0 || active.job.spec === undefined) return undefined;
    const worldSize = active.ranks.length;
    const args = (active.args ??= parseTrainingArguments(JSON.parse(active.job.spec.trainingArgumentsJson), `job ${active.job.jobId}`));
    return {
      jobId: active.job.jobId,
      spec: active.job.spec,
      rank,
      worldSize,
      ringGeneration: active.ringGeneration,
      leftAddress: active.ranks[(rank - 1 + worldSize) % worldSize].collectiveAddress,
      rightAddress: active.ranks[(rank + 1) % worldSize].collectiveAddress,
      shardPlan: buildShardPlan(args, rank, worldSize),
      resumeCheckpoint: '',
    };
  }

  private emit(job: Job): void {
    const progress = progressOf(job);
    for (const listener of this.listeners.get(job.jobId) ?? []) listener(progress);
  }

  /** After a restart: unfinished jobs come back; running ones keep their gang, whose workers get one deadline to beat. */
  private recover(): void {
    const nowMs = this.now();
    for (const recovered of this.store.activeJobs()) {
      let job = recovered.job;
      const ringGeneration = recovered.ringGeneration;
      const ranks = job.state === JobState.JOB_STATE_RUNNING ? this.store.assignments(job.jobId) : [];
      if (ranks.length === 0 && job.state !== JobState.JOB_STATE_PENDING) {
        // No gang on record (or a ring being re-formed): wait for workers again.
        const state = JobState.JOB_STATE_PENDING;
        job = { ...job, state, progress: { ...progressOf(job), state } };
        this.store.updateJob(job, ringGeneration);
      }
      this.active.set(job.jobId, { job, ringGeneration, ranks });
      for (const row of ranks) {
        this.workers.add({ workerId: row.workerId, collectiveAddress: row.collectiveAddress, cpuCount: 0, memoryBytes: 0, backend: '', lastSeenMs: nowMs, jobId: job.jobId });
      }
      if (ranks.length > 0) this.log(`job ${job.jobId} recovered as RUNNING on ${ranks.length} ranks (ring ${ringGeneration})`);
    }
  }
}

function progressOf(job: Job): JobProgress {
  return { ...(job.progress ?? JobProgress.fromPartial({})), jobId: job.jobId, state: job.state };
}
