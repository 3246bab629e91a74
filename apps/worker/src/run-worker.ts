import { availableParallelism, hostname, totalmem } from 'node:os';
import { status } from '@grpc/grpc-js';
import { collectiveTlsPems, GrpcCollectiveEndpoint, readTlsPems, type NonzeroBlockScan, type SharedMemory } from '@tunefleet/comm';
import { initBackend, type BackendChoice } from '@tunefleet/compute';
import { adamwUpdate, nativeAddInto, nativeNonzeroBlocks, nativeSharedMemory } from '@tunefleet/native-kernels';
import type { Assignment, JobProgress } from '@tunefleet/proto';
import { connectCoordinator, type CoordinatorLink, type WorkerTlsFiles } from './coordinator-link.ts';
import { runJob } from './run-job.ts';
import { describeFailure, WorkerError } from './worker-error.ts';

export interface RunWorkerOptions {
  /** host:port of the coordinator. */
  readonly coordinator: string;
  /** Cluster token: authenticates this worker to the coordinator and ranks to each other. */
  readonly token: string;
  /** Stable id; default hostname-pid. */
  readonly workerId?: string;
  /** Interface the Collective server binds; default 127.0.0.1 (listening wider is a deliberate choice). */
  readonly host?: string;
  /** Host peers dial to reach this worker; default `host`, or the hostname when `host` is a wildcard. */
  readonly advertiseHost?: string;
  /** Mutual TLS to the coordinator and between ranks; plaintext when absent. */
  readonly tls?: WorkerTlsFiles;
  /** Default 'auto' (tensorflow > native > wasm > cpu). */
  readonly backend?: BackendChoice;
  readonly threads?: number;
  /** The native backend's output pool bound in MB (0: no reuse); default min(4 GiB, a quarter of the memory). */
  readonly poolMb?: number;
  /** How long to keep retrying an unreachable coordinator at start; default 60 s. */
  readonly connectTimeoutMs?: number;
  /**
   * Shared memory with ring neighbours on this machine (the addon's memfd regions; neighbours
   * elsewhere refuse it and get bytes). Default true; a no-op without the native addon.
   */
  readonly sharedMemory?: boolean;
  /** Ends the run (e.g. on SIGINT): the job is left and the result is exit code 130. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface WorkerResult {
  /** 0: the job succeeded on this rank; 1: it failed (see `reason`); 3: the coordinator stopped it; 130: aborted. */
  readonly exitCode: number;
  readonly reason?: string;
}

export const WORKER_EXIT_CODES = { succeeded: 0, failed: 1, stopped: 3, aborted: 130 } as const;

const RETRY_DELAY_MS = 500;
/**
 * How often a worker with no assignment yet asks for one. The heartbeat interval (a third of the
 * coordinator's timeout, 20 s by default) is too slow for that: a worker that registered just
 * before a job was submitted would sit idle for up to 20 s while its peers wait.
 */
export const ASSIGNMENT_POLL_MS = 250;

/**
 * One worker process, one job: start the Collective server on a free port, Register with the
 * coordinator, heartbeat until an assignment arrives, train on this rank's shard with the ring, report
 * progress, and return. Failures are reported to the coordinator (code, message, retryable) and
 * returned as a non-zero exit code with the reason; nothing is thrown.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[worker] ${line}\n`));
  const workerId = options.workerId ?? `${hostname()}-${process.pid}`;
  let endpoint: GrpcCollectiveEndpoint | undefined;
  let link: CoordinatorLink | undefined;
  let heartbeat: Heartbeat | undefined;
  let assignment: Assignment | undefined;
  try {
    if (options.token.length < 16) throw new WorkerError('WORKER_OPTIONS_INVALID', `the cluster token is ${options.token.length} characters; it must be at least 16.`);
    // Read once, for both the collective and the coordinator link; a bad file fails here as TLS_INVALID.
    const tls = options.tls === undefined ? undefined : readTlsPems(options.tls);
    const backend = await initBackend({ backend: options.backend ?? 'auto', threads: options.threads, poolMb: options.poolMb, log });
    endpoint = await GrpcCollectiveEndpoint.listen({
      token: options.token,
      host: options.host ?? '127.0.0.1',
      port: 0,
      ...(tls ? { tls: collectiveTlsPems(tls) } : {}),
      logger: { warn: (message) => log(`collective: ${message}`) },
      ...withNativeScan(),
      ...withSharedMemory(options.sharedMemory ?? true),
    });
    const collectiveAddress = advertisedAddress(endpoint.address, options);
    link = connectCoordinator(options.coordinator, options.token, tls);
    const register = () =>
      link!.register({ workerId, collectiveAddress, cpuCount: availableParallelism(), memoryBytes: totalmem(), backend: backend.name });
    const { heartbeatIntervalMs } = await retryWhileUnreachable(register, options.connectTimeoutMs ?? 60_000, options.signal);
    log(`registered as ${workerId} with ${options.coordinator} (collective ${collectiveAddress}, ${backend.name} backend)`);
    heartbeat = new Heartbeat(link, workerId, heartbeatIntervalMs, register, log);
    assignment = await heartbeat.nextAssignment(options.signal);
    log(`job ${assignment.jobId}: rank ${assignment.rank} of ${assignment.worldSize}, sending to ${assignment.rightAddress} (ring ${assignment.ringGeneration})`);
    const transport = endpoint.join({ jobId: assignment.jobId, rank: assignment.rank, worldSize: assignment.worldSize, rightAddress: assignment.rightAddress });
    heartbeat.ringGeneration = assignment.ringGeneration;
    const current = assignment;
    const report = async (progress: JobProgress): Promise<boolean> => {
      try {
        const response = await link!.reportProgress({ workerId, ringGeneration: current.ringGeneration, progress, errorCode: '', errorMessage: '', isErrorRetryable: false });
        return response.shouldStop;
      } catch (error) {
        log(`ReportProgress failed (training goes on): ${(error as Error).message}`);
        return false;
      }
    };
    const onAbort = (): void => heartbeat?.stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // One native call per optimizer step instead of ~10 tensor ops per parameter (as `tunefleet train`).
      const fusedAdamWKernel = backend.name === 'native' ? adamwUpdate : undefined;
      const addInto = nativeAddInto(); // whatever the backend: the reduction works on plain arrays
      const outcome = await runJob({ assignment, transport, report, onStop: (stop) => heartbeat!.onStop(stop), log, fusedAdamWKernel, ...(addInto ? { addInto } : {}) });
      log(`collective: ${describeFrames(transport.framesSent)}`);
      if (options.signal?.aborted) return { exitCode: WORKER_EXIT_CODES.aborted, reason: 'aborted' };
      if (outcome === 'stopped') return { exitCode: WORKER_EXIT_CODES.stopped, reason: `job ${assignment.jobId} was stopped by the coordinator` };
      return { exitCode: WORKER_EXIT_CODES.succeeded };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  } catch (error) {
    if (options.signal?.aborted) return { exitCode: WORKER_EXIT_CODES.aborted, reason: 'aborted' };
    const failure = describeFailure(error);
    log(`failed: ${failure.code}: ${failure.message}`);
    if (link !== undefined && assignment !== undefined) {
      await link
        .reportProgress({ workerId, ringGeneration: assignment.ringGeneration, errorCode: failure.code, errorMessage: failure.message, isErrorRetryable: failure.isRetryable })
        .catch((reportError: unknown) => log(`could not report the failure to the coordinator: ${(reportError as Error).message}`));
    }
    return { exitCode: WORKER_EXIT_CODES.failed, reason: `${failure.code}: ${failure.message}` };
  } finally {
    heartbeat?.close();
    await endpoint?.close();
    link?.close();
  }
}

/**
 * Heartbeats every interval (a chain of timeouts, so beats never pile up behind a busy event loop),
 * every ASSIGNMENT_POLL_MS while waiting for an assignment, hands over the first assignment, and
 * relays should_stop. NOT_FOUND means the coordinator forgot
 * this worker: register again.
 */
class Heartbeat {
  ringGeneration = 0;
  private timer: NodeJS.Timeout | undefined;
  private isClosed = false;
  private stopHandler: (() => void) | undefined;
  private isStopRequested = false;
  private waiter: { resolve: (a: Assignment) => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly link: CoordinatorLink,
    private readonly workerId: string,
    private readonly intervalMs: number,
    private readonly register: () => Promise<unknown>,
    private readonly log: (line: string) => void,
  ) {
    void this.beat();
  }

  nextAssignment(signal?: AbortSignal): Promise<Assignment> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new WorkerError('STOPPED_BY_COORDINATOR', 'aborted before an assignment arrived'));
      signal?.addEventListener('abort', () => reject(new WorkerError('STOPPED_BY_COORDINATOR', 'aborted before an assignment arrived')), { once: true });
      this.waiter = { resolve, reject };
    });
  }

  /** What to run when the coordinator says stop; runs at once if it already did. */
  onStop(handler: () => void): void {
    this.stopHandler = handler;
    if (this.isStopRequested) handler();
  }

  stop(): void {
    this.isStopRequested = true;
    this.stopHandler?.();
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.timer);
  }

  private async beat(): Promise<void> {
    if (this.isClosed) return;
    try {
      const response = await this.link.heartbeat({ workerId: this.workerId, ringGeneration: this.ringGeneration });
      if (response.shouldStop && this.ringGeneration !== 0) this.stop();
      if (response.assignment !== undefined && this.waiter !== undefined) {
        this.waiter.resolve(response.assignment);
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
        return;
      } else {
        this.log(`Heartbeat failed: ${(error as Error).message}`);
      }
    }
    const delay = this.waiter !== undefined ? Math.min(this.intervalMs, ASSIGNMENT_POLL_MS) : this.intervalMs;
    if (!this.isClosed) this.timer = setTimeout(() => void this.beat(), delay);
  }
}

/** The addon's zero-block scan for the data plane, when the addon is built. */
function withNativeScan(): { nonzeroBlocks?: NonzeroBlockScan } {
  const nonzeroBlocks = nativeNonzeroBlocks();
  return nonzeroBlocks ? { nonzeroBlocks } : {};
}

/** How this rank's frames went to its right neighbour, for the log: "12 frames sent: 10 by shared memory, ...". */
export function describeFrames(sent: { readonly dataPlane: number; readonly grpc: number; readonly zeroBlocks: number; readonly shared: number }): string {
  const total = sent.dataPlane + sent.grpc;
  return (
    `${total} frames sent: ${sent.shared} by shared memory, ${sent.dataPlane - sent.shared} over the TCP data plane ` +
    `(${sent.zeroBlocks} of them zero-block encoded), ${sent.grpc} over gRPC`
  );
}

/** The addon's shared memory for same-machine neighbours, when wanted and built. */
function withSharedMemory(isWanted: boolean): { sharedMemory?: SharedMemory } {
  if (!isWanted) return {};
  const sharedMemory = nativeSharedMemory();
  return sharedMemory ? { sharedMemory } : {};
}

async function retryWhileUnreachable<T>(call: () => Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      const isUnreachable = error instanceof WorkerError && error.code === 'COORDINATOR_UNREACHABLE';
      if (!isUnreachable || Date.now() + RETRY_DELAY_MS > deadline || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}

function advertisedAddress(bound: string, options: RunWorkerOptions): string {
  const port = bound.slice(bound.lastIndexOf(':') + 1);
  const host = options.host ?? '127.0.0.1';
  const isWildcard = host === '0.0.0.0' || host === '::' || host === '';
  if (options.advertiseHost === undefined && !isWildcard) return bound;
  const advertised = options.advertiseHost ?? hostname();
  return `${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}`;
}
