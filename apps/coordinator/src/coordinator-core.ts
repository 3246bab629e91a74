import { randomBytes } from 'node:crypto';
import {
  JobProgress,
  JobState,
  type Assignment,
  type DeregisterRequest,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type Job,
  type RankProgress,
  type RegisterRequest,
  type ReportProgressRequest,
  type ReportProgressResponse,
} from '@tunefleet/proto';
import { ringKeysOf } from '@tunefleet/comm';
import { parseTrainingArguments, type TrainingArguments } from '@tunefleet/trainer';
import { CoordinatorError } from './coordinator-error.ts';
import type { ValidatedJobSpec } from './job-spec.ts';
import { JobStore, type AssignmentRow } from './job-store.ts';
import { describeRank, membershipPolicy, type MembershipPolicy, type Rendezvous } from './membership.ts';
import type { LedgerReport } from './sample-ledger.ts';
import { buildShardPlan } from './shard-plan.ts';
import { WorkerRegistry, type WorkerRecord } from './worker-registry.ts';

export interface CoreOptions {
  readonly heartbeatTimeoutMs: number;
  /**
   * How long a re-forming ring waits for the old ring's workers to check in before it forms with
   * those that did (a killed worker never does). Default 3 s: a stopped worker checks in within
   * one 250 ms assignment poll of leaving its ring.
   */
  readonly rendezvousMs?: number;
  /**
   * Idle workers are assigned only if heard from within this; default 3 s (they poll every 250 ms),
   * so a worker that exited without deregistering is never given a job.
   */
  readonly idleFreshMs?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

interface ActiveJob {
  job: Job;
  ringGeneration: number;
  /** Worker ids by rank while RUNNING; empty while PENDING or re-forming. */
  ranks: AssignmentRow[];
  /** Resolved training arguments, parsed on first use (the spec was validated at submission). */
  args?: TrainingArguments;
  /** Every rank's latest figures (step, step time, all-reduce time), served as JobProgress.ranks. */
  rankFigures?: Map<number, RankProgress>;
  readonly policy: MembershipPolicy;
  restarts: number;
  /** Newest checkpoint that every rank's ledger covers: where a re-formed ring resumes. */
  committed: { step: number; dir: string } | undefined;
  /** Checkpoints rank 0 reported that the ledger does not cover yet, oldest first. */
  pending: { step: number; dir: string }[];
  /** Set while the ring re-forms (RESTARTING, then WAITING_FOR_WORKERS below min_workers). */
  rendezvous: Rendezvous | undefined;
  /**
   * Workers of the current ring that sent their final report (every optimizer step done): one that
   * exits now, while rank 0 still writes the model, is no lost rank.
   */
  finished: Set<string>;
}

const DEFAULT_RENDEZVOUS_MS = 3_000;
const DEFAULT_IDLE_FRESH_MS = 3_000;
const REFORMING = new Set([JobState.JOB_STATE_RESTARTING, JobState.JOB_STATE_WAITING_FOR_WORKERS]);

export type ProgressListener = (progress: JobProgress) => void;
/** Told about every job whenever it changes (submitted, scheduled, progress, finished): the live page. */
export type JobChangeListener = (job: Job) => void;

const TERMINAL = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);
export const isTerminal = (state: JobState): boolean => TERMINAL.has(state);

/**
 * The coordinator's state machine, free of gRPC: jobs (persisted), workers (in memory), gang
 * scheduling in strict FIFO order, heartbeat deadlines, and elastic membership: a lost rank
 * re-forms the ring with the workers left, resuming from the newest checkpoint the sample ledger
 * covers. Every method is synchronous, so no two requests interleave inside one.
 */
export class CoordinatorCore {
  private readonly store: JobStore;
  private readonly workers = new WorkerRegistry();
  private readonly active = new Map<string, ActiveJob>();
  /**
   * Each job's fresh secret (drawn when first assigned, kept in the job store until the job ends, so
   * a restarted coordinator gives the same keys); per-pair ring keys derive from it and the ring
   * generation (libs/comm peer-keys.ts), so a re-formed ring's keys are new anyway.
   */
  private readonly jobSecrets = new Map<string, Buffer>();
  private readonly listeners = new Map<string, Set<ProgressListener>>();
  private readonly changeListeners = new Set<JobChangeListener>();
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
    this.active.set(jobId, this.newActive(job, 0, []));
    this.log(`job ${jobId} submitted (world_size ${validated.spec.worldSize})`);
    for (const listener of this.changeListeners) listener(job);
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

  /** Calls `listener` on every change of any job; returns the unsubscribe. */
  onJobChange(listener: JobChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Registered workers by state, for /metrics: busy ones hold a rank of a job (or wait for its re-formed ring). */
  workerCounts(): { idle: number; busy: number } {
    const all = this.workers.all();
    const busy = all.filter((worker) => worker.jobId !== undefined).length;
    return { idle: all.length - busy, busy };
  }

  /** Ranks of the job's current ring: 0 while it is pending or re-forming, or once it finished. */
  ringSize(jobId: string): number {
    return this.active.get(jobId)?.ranks.length ?? 0;
  }

  register(request: RegisterRequest): { heartbeatIntervalMs: number } {
    const isNew = this.workers.get(request.workerId.trim()) === undefined;
    // A worker that left its ring listens on a new port to join the next one.
    const worker = this.workers.register(request, this.now(), (id) => !this.isInRunningRing(id));
    if (isNew) this.log(`worker ${worker.workerId} registered (collective ${worker.collectiveAddress}, ${worker.backend || 'unknown'} backend)`);
    this.checkIn(worker);
    this.schedule();
    return { heartbeatIntervalMs: this.heartbeatIntervalMs };
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const worker = this.workers.require(request.workerId, 'Heartbeat');
    worker.lastSeenMs = this.now();
    if (request.ringGeneration === 0) {
      this.checkIn(worker);
      if (worker.jobId === undefined) this.schedule(); // a fresh idle worker may complete a gang
    }
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    if (active === undefined) return { assignment: undefined, shouldStop: request.ringGeneration !== 0, jobState: this.lastJobState(worker) };
    return {
      assignment: this.assignmentFor(active, request.workerId),
      shouldStop: request.ringGeneration !== 0 && request.ringGeneration !== active.ringGeneration,
      jobState: active.job.state,
    };
  }

  reportProgress(request: ReportProgressRequest): ReportProgressResponse {
    const worker = this.workers.require(request.workerId, 'ReportProgress');
    worker.lastSeenMs = this.now();
    this.recordSamples(worker, request);
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    // job_state tells a stopped rank whether its ring re-forms (leave without a final model) or the job ended.
    if (active === undefined) return { shouldStop: true, jobState: this.jobStateOf(this.store.ledger.generation(request.ringGeneration)?.jobId ?? worker.lastJobId) };
    if (request.ringGeneration !== active.ringGeneration) return { shouldStop: true, jobState: active.job.state };
    const rank = active.ranks.findIndex((row) => row.workerId === worker.workerId);
    if (rank < 0) return { shouldStop: true, jobState: active.job.state };
    const reported = request.progress;
    if (request.errorCode !== '' || reported?.state === JobState.JOB_STATE_FAILED) {
      const what = request.errorCode === '' ? 'reported failure' : `failed: ${request.errorCode}: ${request.errorMessage}`;
      const suspects = request.suspectRanks
        .filter((r) => r < active.ranks.length && r !== rank)
        .map((r) => describeRank(r, active.ranks[r]!.workerId, active.ranks[r]!.collectiveAddress));
      const blamed = suspects.length === 0 ? '' : ` (it names ${suspects.join(', ')})`;
      const reason = `${describeRank(rank, worker.workerId, worker.collectiveAddress)} ${what}${blamed}`;
      if (request.isErrorRetryable) this.restart(active, reason, []);
      else this.finish(active.job.jobId, JobState.JOB_STATE_FAILED, `${reason}.`);
      return { shouldStop: true, jobState: this.jobStateOf(active.job.jobId) };
    }
    // A rank other than 0 says SUCCEEDED in its final report: its part is done (rank 0's finishes the job).
    if (rank !== 0 && reported?.state === JobState.JOB_STATE_SUCCEEDED) active.finished.add(worker.workerId);
    if (rank === 0 && request.checkpointDir) active.pending.push({ step: request.checkpointStep ?? 0, dir: request.checkpointDir });
    if (this.commitCheckpoints(active) && this.grow(active)) return { shouldStop: true, jobState: active.job.state };
    const ranks = reported === undefined ? undefined : this.recordRank(active, rank, worker.workerId, reported);
    if (rank === 0 && reported !== undefined) {
      // Rank 0 speaks for the job: every rank runs the same steps, and rank 0 writes the model.
      const progress = { ...reported, jobId: active.job.jobId, state: active.job.state, restarts: active.restarts, ranks: ranks ?? [] };
      active.job = { ...active.job, updatedUnixMs: this.now(), progress };
      if (reported.state === JobState.JOB_STATE_SUCCEEDED) {
        this.finish(active.job.jobId, JobState.JOB_STATE_SUCCEEDED, '');
        return { shouldStop: true, jobState: JobState.JOB_STATE_SUCCEEDED };
      }
      this.store.updateJob(active.job, active.ringGeneration);
      this.emit(active.job);
    } else if (ranks !== undefined) {
      // Another rank's figures change only JobProgress.ranks (in memory: rank 0's next report stores them).
      active.job = { ...active.job, progress: { ...progressOf(active.job), ranks } };
      this.emit(active.job);
    }
    return { shouldStop: false, jobState: active.job.state };
  }

  /** Keeps `rank`'s latest step, step time and all-reduce time; returns every rank's, in rank order. */
  private recordRank(active: ActiveJob, rank: number, workerId: string, reported: JobProgress): RankProgress[] {
    const figures = (active.rankFigures ??= new Map());
    figures.set(rank, { rank, workerId, globalStep: reported.globalStep, stepSeconds: reported.stepSeconds, allreduceMs: reported.allreduceMs, lastReportUnixMs: this.now() });
    return [...figures.values()].sort((a, b) => a.rank - b.rank);
  }

  /** A worker that exits says so: it leaves the registry now, and its job's ring re-forms at once. */
  deregister(request: DeregisterRequest): void {
    const worker = this.workers.get(request.workerId.trim());
    if (worker === undefined) return;
    this.workers.remove(worker.workerId);
    const why = request.reason === '' ? '' : `: ${request.reason}`;
    this.log(`worker ${worker.workerId} deregistered${why}`);
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    if (active === undefined) return;
    const rank = active.ranks.findIndex((row) => row.workerId === worker.workerId);
    if (rank >= 0 && active.finished.has(worker.workerId)) this.log(`job ${active.job.jobId}: ${describeRank(rank, worker.workerId, worker.collectiveAddress)} finished its part and left`);
    else if (rank >= 0) this.restart(active, `${describeRank(rank, worker.workerId, worker.collectiveAddress)} left${why}`, [worker.workerId]);
    else if (active.rendezvous !== undefined) {
      active.rendezvous.expected.delete(worker.workerId);
      this.tryForm(active);
    }
  }

  /** The sample ledger's exactly-once check for a job (see SampleLedger.check). */
  checkLedger(jobId: string, numExamples: number, fullEpochs: ReadonlySet<number>): LedgerReport {
    return this.store.ledger.check(jobId, numExamples, fullEpochs);
  }

  /**
   * Declares workers lost whose last heartbeat is older than the deadline (their jobs' rings
   * re-form without them), and moves re-forming rings on (rendezvous window, min_workers timeout).
   */
  sweep(): void {
    const nowMs = this.now();
    const timeoutMs = this.options.heartbeatTimeoutMs;
    const lostByJob = new Map<string, { rank: number; workerId: string; address: string }[]>();
    for (const worker of this.workers.all()) {
      if (nowMs - worker.lastSeenMs <= timeoutMs) continue;
      this.workers.remove(worker.workerId);
      this.log(`worker ${worker.workerId} lost: no heartbeat for ${nowMs - worker.lastSeenMs} ms`);
      const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
      if (active === undefined) continue;
      active.rendezvous?.expected.delete(worker.workerId);
      const rank = active.ranks.findIndex((row) => row.workerId === worker.workerId);
      if (rank < 0 || active.finished.has(worker.workerId)) continue;
      const lost = lostByJob.get(active.job.jobId) ?? [];
      lost.push({ rank, workerId: worker.workerId, address: worker.collectiveAddress });
      lostByJob.set(active.job.jobId, lost);
    }
    for (const [jobId, lost] of lostByJob) {
      const active = this.active.get(jobId);
      if (active === undefined) continue;
      lost.sort((a, b) => a.rank - b.rank);
      const who = lost.map((l) => describeRank(l.rank, l.workerId, l.address)).join(', ');
      this.restart(active, `${who} missed heartbeats for ${timeoutMs} ms`, lost.map((l) => l.workerId));
    }
    for (const active of [...this.active.values()]) if (active.rendezvous !== undefined) this.tryForm(active);
  }

  close(): void {
    this.listeners.clear();
    this.changeListeners.clear();
    this.store.close();
  }

  private finish(jobId: string, state: JobState, errorMessage: string): Job {
    const active = this.active.get(jobId);
    if (active === undefined) return this.getJob(jobId);
    const job: Job = { ...active.job, state, errorMessage, updatedUnixMs: this.now() };
    job.progress = { ...progressOf(active.job), state };
    if (state !== JobState.JOB_STATE_FAILED) delete job.statusMessage;
    this.store.updateJob(job, active.ringGeneration);
    this.store.replaceAssignments(jobId, []);
    this.active.delete(jobId);
    this.jobSecrets.delete(jobId);
    this.store.setJobSecret(jobId, null);
    for (const worker of this.workers.all()) this.release(worker, jobId);
    this.log(`job ${jobId} ${JobState[state]}${errorMessage === '' ? '' : `: ${errorMessage}`}`);
    this.emit(job);
    this.listeners.delete(jobId);
    this.schedule();
    return job;
  }

  /** Strict FIFO gang scheduling: the oldest waiting job starts once world_size workers are idle. */
  private schedule(): void {
    for (const active of this.active.values()) {
      if (active.rendezvous !== undefined) {
        this.tryForm(active);
        if (active.rendezvous !== undefined) return; // it holds its place in the queue
        continue;
      }
      if (active.job.state !== JobState.JOB_STATE_PENDING) continue;
      const idle = this.workers.idle(this.now(), this.idleFreshMs);
      if (idle.length < active.policy.worldSize) return; // Later jobs wait too, so a big job is never starved.
      active.ringGeneration = ++this.ringGeneration;
      this.form(active, idle.slice(0, active.policy.worldSize));
    }
  }

  /** Makes `workers` (in rank order) the ring of `active`'s current generation and starts it. */
  private form(active: ActiveJob, workers: readonly WorkerRecord[]): void {
    const jobId = active.job.jobId;
    const generation = active.ringGeneration;
    for (const worker of this.workers.all()) if (!workers.includes(worker)) this.release(worker, jobId);
    active.rankFigures = undefined; // a re-formed ring numbers its ranks afresh
    active.finished = new Set();
    active.ranks = workers.map((worker, rank) => {
      worker.jobId = jobId;
      return { jobId, rank, workerId: worker.workerId, collectiveAddress: worker.collectiveAddress, ringGeneration: generation };
    });
    const wasReforming = active.rendezvous !== undefined;
    active.rendezvous = undefined;
    const state = JobState.JOB_STATE_RUNNING;
    const from = active.committed === undefined ? 'the start' : `${active.committed.dir} (step ${active.committed.step})`;
    const { worldSize } = active.policy;
    const batch = active.job.spec === undefined ? undefined : this.argsOf(active).per_device_train_batch_size * worldSize;
    const statusMessage = wasReforming
      ? `re-formed on ${workers.length} of world_size ${worldSize} ranks from ${from} (restart ${active.restarts}); ` +
        `each global micro-batch of ${batch} examples is sliced across ${workers.length} ranks, so the global batch and schedule are unchanged`
      : undefined;
    active.job = { ...active.job, state, updatedUnixMs: this.now(), progress: { ...progressOf(active.job), state, restarts: active.restarts } };
    if (statusMessage === undefined) delete active.job.statusMessage;
    else active.job.statusMessage = statusMessage;
    if (wasReforming) {
      // Steps after the resume point are redone by this ring: their old rows leave the committed record.
      this.store.ledger.rollBack(jobId, active.committed?.step ?? 0);
      active.pending = active.pending.filter((c) => c.step <= (active.committed?.step ?? 0));
    }
    this.store.ledger.addGeneration(jobId, generation, workers.map((w) => w.workerId));
    this.store.replaceAssignments(jobId, active.ranks);
    this.store.updateJob(active.job, generation);
    this.log(`job ${jobId} running on ${active.ranks.map((row) => `rank ${row.rank}=${row.workerId}`).join(', ')} (ring ${generation})` + (statusMessage ? `: ${statusMessage}` : ''));
    this.emit(active.job);
  }

  /**
   * A rank was lost or failed with a retryable fault: stop the ring (its generation is now stale, so
   * every rank's next heartbeat or report says stop) and wait for its workers to check in again.
   */
  private restart(active: ActiveJob, reason: string, lost: readonly string[], isGrowth = false): void {
    const jobId = active.job.jobId;
    if (!isGrowth && active.restarts >= active.policy.maxRestarts) {
      const limit = `the ring was already re-formed ${active.restarts} times (max_restarts ${active.policy.maxRestarts})`;
      this.finish(jobId, JobState.JOB_STATE_FAILED, `${reason}; ${limit}. Check the workers' logs, then resubmit the job or raise max_restarts.`);
      return;
    }
    if (!isGrowth) active.restarts += 1;
    const expected = new Set(active.ranks.map((row) => row.workerId).filter((id) => !lost.includes(id) && this.workers.get(id) !== undefined));
    for (const id of lost) {
      const worker = this.workers.get(id);
      if (worker !== undefined) this.release(worker, jobId);
    }
    active.ranks = [];
    active.ringGeneration = ++this.ringGeneration;
    active.rendezvous = { sinceMs: this.now(), reason, expected, checkedIn: new Set() };
    const state = JobState.JOB_STATE_RESTARTING;
    const from = active.committed === undefined ? 'the start' : active.committed.dir;
    active.job = {
      ...active.job,
      state,
      statusMessage: isGrowth
        ? `re-forming the ring from ${from}: ${reason}`
        : `re-forming the ring (restart ${active.restarts} of max_restarts ${active.policy.maxRestarts}) from ${from}: ${reason}`,
      updatedUnixMs: this.now(),
      progress: { ...progressOf(active.job), state, restarts: active.restarts },
    };
    this.store.replaceAssignments(jobId, []);
    this.store.updateMembership(jobId, this.membershipOf(active));
    this.store.updateJob(active.job, active.ringGeneration);
    this.log(`job ${jobId} RESTARTING: ${reason}`);
    this.emit(active.job);
  }

  /** A worker that left its ring (or registered) and asks for work counts toward its job's rendezvous. */
  private checkIn(worker: WorkerRecord): void {
    const active = worker.jobId === undefined ? undefined : this.active.get(worker.jobId);
    if (active?.rendezvous === undefined) return;
    active.rendezvous.checkedIn.add(worker.workerId);
    this.tryForm(active);
  }

  /**
   * Forms the re-forming ring once every expected worker checked in, or after the rendezvous window
   * with the workers available (checked in first, then fresh idle ones), up to max_workers; below
   * min_workers the job waits (WAITING_FOR_WORKERS) until min_workers_timeout_ms, then fails.
   */
  private tryForm(active: ActiveJob): void {
    const r = active.rendezvous;
    if (r === undefined) return;
    const nowMs = this.now();
    const { minWorkers, maxWorkers, minWorkersTimeoutMs } = active.policy;
    // A worker of this ring that checked in is alive until its heartbeat deadline says otherwise (it
    // may be busy loading the checkpoint); only idle extras must have been heard from just now.
    const alive = (w: WorkerRecord): boolean => nowMs - w.lastSeenMs <= this.options.heartbeatTimeoutMs;
    const checkedIn = this.workers.all().filter((w) => r.checkedIn.has(w.workerId) && w.jobId === active.job.jobId && alive(w));
    const allIn = [...r.expected].every((id) => r.checkedIn.has(id) || this.workers.get(id) === undefined);
    if (!allIn && nowMs - r.sinceMs < this.rendezvousMs) return;
    const candidates = [...checkedIn, ...this.workers.idle(nowMs, this.idleFreshMs)].slice(0, maxWorkers);
    if (candidates.length >= minWorkers) {
      this.form(active, candidates);
      return;
    }
    const jobId = active.job.jobId;
    if (nowMs - r.sinceMs >= minWorkersTimeoutMs) {
      this.finish(
        jobId,
        JobState.JOB_STATE_FAILED,
        `${r.reason}; then only ${candidates.length} of min_workers ${minWorkers} workers were available for ${minWorkersTimeoutMs} ms (min_workers_timeout_ms). ` +
          'Start more workers or lower min_workers, then resubmit the job.',
      );
      return;
    }
    const state = JobState.JOB_STATE_WAITING_FOR_WORKERS;
    const statusMessage =
      `waiting for workers: ${candidates.length} of min_workers ${minWorkers} available after ${r.reason}; ` +
      `fails at ${new Date(r.sinceMs + minWorkersTimeoutMs).toISOString()} (min_workers_timeout_ms ${minWorkersTimeoutMs})`;
    if (active.job.state === state && active.job.statusMessage === statusMessage) return;
    active.job = { ...active.job, state, statusMessage, updatedUnixMs: nowMs, progress: { ...progressOf(active.job), state } };
    this.store.updateJob(active.job, active.ringGeneration);
    if (active.job.state !== state) this.log(`job ${jobId} ${statusMessage}`);
    this.emit(active.job);
  }

  /** The newest reported checkpoint whose steps every rank's ledger covers becomes the resume point; true when one did. */
  private commitCheckpoints(active: ActiveJob): boolean {
    if (active.pending.length === 0) return false;
    const jobId = active.job.jobId;
    for (let i = active.pending.length - 1; i >= 0; i--) {
      const candidate = active.pending[i]!;
      if (!this.store.ledger.covers(jobId, active.ringGeneration, candidate.step)) continue;
      active.committed = candidate;
      active.pending = active.pending.slice(i + 1);
      this.store.updateMembership(jobId, this.membershipOf(active));
      return true;
    }
    return false;
  }

  /**
   * Workers that registered during the job join it at its next committed checkpoint: the ring
   * re-forms from that checkpoint with them, up to max_workers (so a shrunken ring grows back).
   * Jobs still queued get idle workers first. A growth is no failure: it does not count toward
   * max_restarts. True when the ring now re-forms.
   */
  private grow(active: ActiveJob): boolean {
    const room = active.policy.maxWorkers - active.ranks.length;
    if (room <= 0 || active.committed === undefined) return false;
    for (const other of this.active.values()) if (other.job.state === JobState.JOB_STATE_PENDING) return false;
    const joining = this.workers.idle(this.now(), this.idleFreshMs).slice(0, room);
    if (joining.length === 0) return false;
    const names = joining.map((w) => `worker ${w.workerId} at ${w.collectiveAddress}`).join(', ');
    const size = active.ranks.length + joining.length;
    this.restart(active, `${names} registered during the job; the ring grows from ${active.ranks.length} to ${size} ranks at checkpoint step ${active.committed.step}`, [], true);
    return true;
  }

  /** Ledger rows are taken from the ranks of a job's current ring only (a stale ring's steps are redone). */
  private recordSamples(worker: WorkerRecord, request: ReportProgressRequest): void {
    if (request.samples.length === 0) return;
    const info = this.store.ledger.generation(request.ringGeneration);
    if (info === undefined) return;
    const active = this.active.get(info.jobId);
    const isCurrent = active === undefined ? this.store.getJob(info.jobId)?.state === JobState.JOB_STATE_SUCCEEDED : active.ringGeneration === request.ringGeneration;
    if (!isCurrent) return;
    const rank = info.workerIds.indexOf(worker.workerId);
    if (rank < 0) return;
    this.store.ledger.record(info.jobId, request.ringGeneration, rank, request.samples);
  }

  private release(worker: WorkerRecord, jobId: string): void {
    if (worker.jobId !== jobId) return;
    worker.jobId = undefined;
    worker.lastJobId = jobId;
  }

  private isInRunningRing(workerId: string): boolean {
    const jobId = this.workers.get(workerId)?.jobId;
    const active = jobId === undefined ? undefined : this.active.get(jobId);
    return active !== undefined && active.ranks.some((row) => row.workerId === workerId);
  }

  private lastJobState(worker: WorkerRecord): JobState {
    return this.jobStateOf(worker.lastJobId);
  }

  private jobStateOf(jobId: string | undefined): JobState {
    if (jobId === undefined) return JobState.JOB_STATE_UNSPECIFIED;
    return (this.active.get(jobId)?.job ?? this.store.getJob(jobId))?.state ?? JobState.JOB_STATE_UNSPECIFIED;
  }

  private membershipOf(active: ActiveJob): { restarts: number; committedStep: number; committedDir: string } {
    return { restarts: active.restarts, committedStep: active.committed?.step ?? 0, committedDir: active.committed?.dir ?? '' };
  }

  private newActive(job: Job, ringGeneration: number, ranks: AssignmentRow[]): ActiveJob {
    const membership = this.store.membership(job.jobId);
    return {
      job,
      ringGeneration,
      ranks,
      policy: membershipPolicy(job.spec),
      restarts: membership.restarts,
      committed: membership.committedDir === '' ? undefined : { step: membership.committedStep, dir: membership.committedDir },
      pending: [],
      rendezvous: undefined,
      finished: new Set(),
    };
  }

  private argsOf(active: ActiveJob): TrainingArguments {
    return (active.args ??= parseTrainingArguments(JSON.parse(active.job.spec!.trainingArgumentsJson), `job ${active.job.jobId}`));
  }

  private get rendezvousMs(): number {
    return this.options.rendezvousMs ?? DEFAULT_RENDEZVOUS_MS;
  }

  private get idleFreshMs(): number {
    return this.options.idleFreshMs ?? DEFAULT_IDLE_FRESH_MS;
  }

  private assignmentFor(active: ActiveJob, workerId: string): Assignment | undefined {
    const rank = active.ranks.findIndex((row) => row.workerId === workerId);
    if (rank < 0 || active.job.spec === undefined) return undefined;
    const worldSize = active.ranks.length;
    const args = this.argsOf(active);
    return {
      jobId: active.job.jobId,
      spec: active.job.spec,
      rank,
      worldSize,
      ringGeneration: active.ringGeneration,
      leftAddress: active.ranks[(rank - 1 + worldSize) % worldSize].collectiveAddress,
      rightAddress: active.ranks[(rank + 1) % worldSize].collectiveAddress,
      shardPlan: buildShardPlan(args, rank, worldSize, active.policy.worldSize),
      // Empty on the first start: the spec's own resume_from_checkpoint applies.
      resumeCheckpoint: active.committed?.dir ?? '',
      restarts: active.restarts,
      ...this.ringKeys(active.job.jobId, rank, worldSize, active.ringGeneration),
    };
  }

  /** This rank's two pair keys of the job's ring generation: only the ranks of a pair hold its key. */
  private ringKeys(jobId: string, rank: number, worldSize: number, ringGeneration: number): { sendKey: Buffer; receiveKey: Buffer } {
    let secret = this.jobSecrets.get(jobId) ?? this.store.jobSecret(jobId);
    if (secret === undefined) {
      secret = randomBytes(32);
      this.store.setJobSecret(jobId, secret);
    }
    this.jobSecrets.set(jobId, secret);
    return ringKeysOf(secret, jobId, rank, worldSize, ringGeneration);
  }

  private emit(job: Job): void {
    const progress = progressOf(job);
    for (const listener of this.listeners.get(job.jobId) ?? []) listener(progress);
    for (const listener of this.changeListeners) listener(job);
  }

  /**
   * After a restart: unfinished jobs come back; running ones keep their gang, whose workers get one
   * deadline to beat; a ring that was re-forming re-forms with the workers that register again.
   */
  private recover(): void {
    const nowMs = this.now();
    for (const recovered of this.store.activeJobs()) {
      const job = recovered.job;
      const ringGeneration = recovered.ringGeneration;
      const ranks = job.state === JobState.JOB_STATE_RUNNING ? this.store.assignments(job.jobId) : [];
      const active = this.newActive(job, ringGeneration, ranks);
      this.active.set(job.jobId, active);
      if (job.state !== JobState.JOB_STATE_PENDING && ranks.length === 0) {
        // A ring being re-formed (or one with no gang on record): wait for workers to register again.
        if (!REFORMING.has(job.state)) active.restarts += 1;
        active.ringGeneration = ++this.ringGeneration;
        active.rendezvous = { sinceMs: nowMs, reason: 'the coordinator restarted while the ring re-formed', expected: new Set(), checkedIn: new Set() };
        continue;
      }
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
