import { availableParallelism, hostname, totalmem } from 'node:os';
import { status } from '@grpc/grpc-js';
import { CollectiveTimeoutError, collectiveTlsPems, GrpcCollectiveEndpoint, PeerUnavailableError, readTlsPems, type NonzeroBlockScan, type SharedMemory } from '@tunefleet/comm';
import { initBackend, type BackendChoice } from '@tunefleet/compute';
import { startMetricsServer, TunefleetMetrics, type RunningMetricsServer } from '@tunefleet/metrics';
import { adamwUpdate, nativeAddInto, nativeNonzeroBlocks, nativeSharedMemory } from '@tunefleet/native-kernels';
import { JobState, type Assignment, type JobProgress } from '@tunefleet/proto';
import { connectCoordinator, type CoordinatorLink, type WorkerTlsFiles } from './coordinator-link.ts';
import { CONTINUING, Heartbeat } from './heartbeat.ts';
import { runJob } from './run-job.ts';
import { StepLedger } from './step-ledger.ts';
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
  /**
   * Port of the Collective server; default 0 (any free port). A fixed one (Kubernetes: 50052, which
   * the probes, the headless Service and the NetworkPolicies name) is listened on again for every ring.
   */
  readonly port?: number;
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
  /** Serve this rank's Prometheus metrics at /metrics (host default 127.0.0.1) for the process's life. */
  readonly metrics?: { readonly host?: string; readonly port: number; readonly name?: string };
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
  let metricsServer: RunningMetricsServer | undefined;
  const metrics = options.metrics === undefined ? undefined : new TunefleetMetrics();
  try {
    if (options.token.length < 16) throw new WorkerError('WORKER_OPTIONS_INVALID', `the cluster token is ${options.token.length} characters; it must be at least 16.`);
    // Read once, for both the collective and the coordinator link; a bad file fails here as TLS_INVALID.
    const tls = options.tls === undefined ? undefined : readTlsPems(options.tls);
    if (metrics !== undefined) metricsServer = await startMetricsServer({ ...options.metrics!, name: options.metrics!.name ?? 'metrics', metrics, log });
    const backend = await initBackend({ backend: options.backend ?? 'auto', threads: options.threads, poolMb: options.poolMb, log });
    const listen = () =>
      GrpcCollectiveEndpoint.listen({
        token: options.token,
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
        ...(tls ? { tls: collectiveTlsPems(tls) } : {}),
        // The fields (peer address, reason) are what makes a refusal actionable: print them.
        logger: { warn: (message, fields) => log(`collective: ${message}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`) },
        ...withNativeScan(),
        ...withSharedMemory(options.sharedMemory ?? true),
      });
    endpoint = await listen();
    let collectiveAddress = advertisedAddress(endpoint.address, options);
    link = connectCoordinator(options.coordinator, options.token, tls);
    const register = () =>
      link!.register({ workerId, collectiveAddress, cpuCount: availableParallelism(), memoryBytes: totalmem(), backend: backend.name });
    const { heartbeatIntervalMs } = await retryWhileUnreachable(register, options.connectTimeoutMs ?? 60_000, options.signal);
    log(`registered as ${workerId} with ${options.coordinator} (collective ${collectiveAddress}, ${backend.name} backend)`);
    heartbeat = new Heartbeat(link, workerId, heartbeatIntervalMs, register, log);
    const ledger = new StepLedger();
    const onAbort = (): void => heartbeat?.stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // One job, through every re-formation of its ring: a rank that was stopped (or failed with a
      // retryable fault) while its job re-forms listens again and waits for its next assignment.
      for (;;) {
        const next = await heartbeat.nextAssignment(options.signal);
        if (next === undefined) {
          // Held as a spare while the job re-formed without this worker, and the job ended.
          const state = heartbeat.jobState;
          if (state === JobState.JOB_STATE_SUCCEEDED) return { exitCode: WORKER_EXIT_CODES.succeeded };
          return { exitCode: WORKER_EXIT_CODES.stopped, reason: `job ${assignment?.jobId ?? ''} ended (${JobState[state]}) while this worker waited to rejoin it` };
        }
        assignment = next;
        log(`job ${assignment.jobId}: rank ${assignment.rank} of ${assignment.worldSize}, sending to ${assignment.rightAddress} (ring ${assignment.ringGeneration})`);
        const transport = endpoint.join({
          jobId: assignment.jobId,
          rank: assignment.rank,
          worldSize: assignment.worldSize,
          rightAddress: assignment.rightAddress,
          leftAddress: assignment.leftAddress,
          // The job's pair keys; an assignment without them (keys derived from the token) proves only the token.
          ...(assignment.sendKey.length > 0 ? { sendKey: assignment.sendKey } : {}),
          ...(assignment.receiveKey.length > 0 ? { receiveKey: assignment.receiveKey } : {}),
        });
        heartbeat.ringGeneration = assignment.ringGeneration;
        const current = assignment;
        const report = async (progress: JobProgress, reportOptions?: { readonly isFinal?: boolean }): Promise<boolean> => {
          const taken = ledger.take();
          try {
            const send = () =>
              link!.reportProgress({
                workerId,
                ringGeneration: current.ringGeneration,
                progress,
                errorCode: '',
                errorMessage: '',
                isErrorRetryable: false,
                suspectRanks: [],
                ...taken,
              });
            // The last report is retried through a coordinator restart: it alone finishes the job (rank 0) or completes its ledger.
            const response = reportOptions?.isFinal ? await retryWhileUnreachable(send, options.connectTimeoutMs ?? 60_000, options.signal) : await send();
            // A stop while the job goes on means the ring re-forms: leave it without a final model
            // (the resumed ring writes that), as a heartbeat's stop does; a cancel stops the Trainer.
            if (response.shouldStop) heartbeat!.stop(CONTINUING.has(response.jobState));
            return response.shouldStop;
          } catch (error) {
            ledger.putBack(taken);
            log(`ReportProgress failed (training goes on): ${(error as Error).message}`);
            return false;
          }
        };
        // One native call per optimizer step instead of ~10 tensor ops per parameter (as `tunefleet train`).
        const fusedAdamWKernel = backend.name === 'native' ? adamwUpdate : undefined;
        const addInto = nativeAddInto(); // whatever the backend: the reduction works on plain arrays
        let failure: ReturnType<typeof describeFailure> | undefined;
        let outcome: 'succeeded' | 'stopped' = 'stopped';
        try {
          outcome = await runJob({
            assignment,
            transport,
            report,
            ledger,
            onStop: (stop) => heartbeat!.onStop(stop),
            log,
            fusedAdamWKernel,
            ...(addInto ? { addInto } : {}),
            ...(metrics ? { metrics } : {}),
          });
        } catch (error) {
          if (options.signal?.aborted) throw error;
          failure = describeFailure(error);
          log(`failed: ${failure.code}: ${failure.message}`);
          await link
            .reportProgress({
              workerId,
              ringGeneration: assignment.ringGeneration,
              errorCode: failure.code,
              errorMessage: failure.message,
              isErrorRetryable: failure.isRetryable,
              suspectRanks: suspectRanksOf(error),
              samples: [],
            })
            .catch((reportError: unknown) => log(`could not report the failure to the coordinator: ${(reportError as Error).message}`));
        }
        log(`collective: ${describeFrames(transport.framesSent)}`);
        if (options.signal?.aborted) return { exitCode: WORKER_EXIT_CODES.aborted, reason: 'aborted' };
        if (outcome === 'succeeded') return { exitCode: WORKER_EXIT_CODES.succeeded };
        heartbeat.leaveRing();
        // A ring's endpoint serves one ring: listen again (a new port) and tell the coordinator
        // first (that checks this worker in for the re-formed ring), then close the old one.
        // A fixed port is free only once the old endpoint closed.
        const old = endpoint;
        if (options.port) await old.close();
        for (let attempt = 1; ; attempt++) {
          endpoint = await listen();
          collectiveAddress = advertisedAddress(endpoint.address, options);
          try {
            await retryWhileUnreachable(register, options.connectTimeoutMs ?? 60_000, options.signal);
            break;
          } catch (error) {
            // The OS may hand out a port that is still on record for a worker that died without
            // deregistering (kill -9; its record goes at its heartbeat deadline): take another.
            const isAddressTaken = error instanceof WorkerError && error.grpcCode === status.ALREADY_EXISTS;
            if (options.port || !isAddressTaken || attempt >= 3) throw error;
            log(`collective ${collectiveAddress} is still registered to another worker (${(error as Error).message}); listening on another port`);
            await endpoint.close();
          }
        }
        if (!options.port) await old.close();
        const jobState = await heartbeat.jobStateNow();
        if (failure !== undefined && !failure.isRetryable) return { exitCode: WORKER_EXIT_CODES.failed, reason: `${failure.code}: ${failure.message}` };
        if (!CONTINUING.has(jobState)) {
          if (failure !== undefined) return { exitCode: WORKER_EXIT_CODES.failed, reason: `${failure.code}: ${failure.message}` };
          return { exitCode: WORKER_EXIT_CODES.stopped, reason: `job ${assignment.jobId} was stopped by the coordinator` };
        }
        log(`job ${assignment.jobId} goes on (${JobState[jobState]}); waiting for this worker's place in the re-formed ring (collective ${collectiveAddress})`);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  } catch (error) {
    if (options.signal?.aborted) return { exitCode: WORKER_EXIT_CODES.aborted, reason: 'aborted' };
    const failure = describeFailure(error);
    log(`failed: ${failure.code}: ${failure.message}`);
    return { exitCode: WORKER_EXIT_CODES.failed, reason: `${failure.code}: ${failure.message}` };
  } finally {
    heartbeat?.close();
    await endpoint?.close();
    // An exiting worker is never scheduled again, and a ring it was in re-forms now, not at the heartbeat deadline.
    await link?.deregister({ workerId, reason: 'the worker process exits' }).catch(() => undefined);
    link?.close();
    await metricsServer?.stop();
  }
}

/** The ranks a collective failure blames (the stalled or unreachable peer), for the coordinator to name. */
function suspectRanksOf(error: unknown): number[] {
  if (error instanceof CollectiveTimeoutError) return [...error.silentRanks];
  if (error instanceof PeerUnavailableError) return [error.peerRank];
  return [];
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
