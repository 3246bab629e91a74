import { status } from '@grpc/grpc-js';
import { JobState, type Assignment } from '@tunefleet/proto';
import type { CoordinatorLink } from './coordinator-link.ts';
import { WorkerError } from './worker-error.ts';

/** Job states in which a stopped or failed rank waits for its place in the re-formed ring. */
export const CONTINUING = new Set([JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_RESTARTING, JobState.JOB_STATE_WAITING_FOR_WORKERS]);
/**
 * How often a worker with no assignment yet asks for one. The heartbeat interval (a third of the
 * coordinator's timeout, 20 s by default) is too slow for that: a worker that registered just
 * before a job was submitted would sit idle for up to 20 s while its peers wait.
 */
export const ASSIGNMENT_POLL_MS = 250;

/**
 * Heartbeats every interval (a chain of timeouts, so beats never pile up behind a busy event loop),
 * every ASSIGNMENT_POLL_MS while waiting for an assignment, hands over the first assignment, and
 * relays should_stop. NOT_FOUND means the coordinator forgot
 * this worker: register again.
 */
export class Heartbeat {
  ringGeneration = 0;
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;
  /** A Heartbeat call is in flight (its end schedules the next). */
  private isBeating = false;
  private stopHandler: ((isReforming: boolean) => void) | undefined;
  private isStopRequested = false;
  private isReforming = false;
  /** State of the job this worker is held for or last ran, from the latest reply. */
  jobState: JobState = JobState.JOB_STATE_UNSPECIFIED;
  private waiter: { resolve: (a: Assignment | undefined) => void; reject: (e: Error) => void } | undefined;
  /** Set once this worker ran a job: it now waits only to rejoin that job. */
  private hasRun = false;

  constructor(
    private readonly link: CoordinatorLink,
    private readonly workerId: string,
    private readonly intervalMs: number,
    private readonly register: () => Promise<unknown>,
    private readonly log: (line: string) => void,
  ) {
    void this.beat();
  }

  /** An assignment that arrived while no one waited (jobStateNow). */
  private early: Assignment | undefined;

  /** Resolves undefined when this worker already ran a job (it waits to rejoin it) and that job ended. */
  nextAssignment(signal?: AbortSignal): Promise<Assignment | undefined> {
    return new Promise((resolve, reject) => {
      if (this.early !== undefined) {
        resolve(this.early);
        this.early = undefined;
        return;
      }
      if (signal?.aborted) return reject(new WorkerError('STOPPED_BY_COORDINATOR', 'aborted before an assignment arrived'));
      signal?.addEventListener('abort', () => reject(new WorkerError('STOPPED_BY_COORDINATOR', 'aborted before an assignment arrived')), { once: true });
      this.waiter = { resolve, reject };
      this.pollSoon();
    });
  }

  /**
   * A waiter polls every ASSIGNMENT_POLL_MS from now on. The beat scheduled while training may be
   * a whole heartbeat interval away (20 s by default): a rank that left its ring would learn of
   * its place in the re-formed one that late, its new neighbours' first collective would time out
   * waiting for it, and the ring would re-form again (and again), or form without it.
   */
  private pollSoon(): void {
    if (this.isClosed || this.isBeating) return; // a beat in flight schedules the next at the poll rate
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.beat(), 0);
  }

  /** What to run when the coordinator says stop; runs at once if it already did. */
  onStop(handler: (isReforming: boolean) => void): void {
    this.stopHandler = handler;
    if (this.isStopRequested) handler(this.isReforming);
  }

  stop(isReforming = false): void {
    this.isStopRequested = true;
    this.isReforming = isReforming;
    this.stopHandler?.(isReforming);
  }

  /** After a ring ends: idle heartbeats again, and the next job's stop starts unrequested. */
  leaveRing(): void {
    this.hasRun = true;
    this.ringGeneration = 0;
    this.stopHandler = undefined;
    this.isStopRequested = false;
    this.isReforming = false;
  }

  /** One heartbeat now; the state of this worker's job (whether it goes on without a new process). */
  async jobStateNow(): Promise<JobState> {
    try {
      const response = await this.link.heartbeat({ workerId: this.workerId, ringGeneration: 0 });
      this.jobState = response.jobState;
      if (response.assignment !== undefined) this.early = response.assignment;
    } catch (error) {
      this.log(`Heartbeat failed: ${(error as Error).message}`);
    }
    return this.jobState;
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.isClosed) return;
    this.isBeating = true;
    try {
      const response = await this.link.heartbeat({ workerId: this.workerId, ringGeneration: this.ringGeneration });
      this.jobState = response.jobState;
      if (response.shouldStop && this.ringGeneration !== 0) this.stop(CONTINUING.has(response.jobState));
      if (response.assignment !== undefined && this.waiter !== undefined) {
        this.waiter.resolve(response.assignment);
        this.waiter = undefined;
      } else if (this.waiter !== undefined && this.hasRun && !CONTINUING.has(response.jobState)) {
        this.waiter.resolve(undefined);
        this.waiter = undefined;
      }
    } catch (error) {
      const grpcCode = error instanceof WorkerError ? error.grpcCode : undefined;
      if (grpcCode === status.NOT_FOUND) {
        this.log('the coordinator does not know this worker (declared lost or restarted); registering again');
        await this.register().catch((e: unknown) => this.log(`Register failed: ${(e as Error).message}`));
      } else if (grpcCode === status.UNAUTHENTICATED && this.waiter !== undefined) {
        this.waiter.reject(error as Error);
        this.waiter = undefined;
        this.isBeating = false;
        return;
      } else {
        this.log(`Heartbeat failed: ${(error as Error).message}`);
      }
    }
    this.isBeating = false;
    const delay = this.waiter !== undefined ? Math.min(this.intervalMs, ASSIGNMENT_POLL_MS) : this.intervalMs;
    if (!this.isClosed) this.timer = setTimeout(() => void this.beat(), delay);
  }
}
