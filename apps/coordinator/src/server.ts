import { Server, ServerCredentials } from '@grpc/grpc-js';
import { readTlsPems, tlsServerCredentials } from '@tunefleet/comm';
import { startMetricsServer, TunefleetMetrics, type RunningMetricsServer } from '@tunefleet/metrics';
import { CoordinatorService } from '@tunefleet/proto';
import { CoordinatorCore } from './coordinator-core.ts';
import { createCoordinatorService } from './coordinator-service.ts';
import { CoordinatorError } from './coordinator-error.ts';
import { exportCoordinatorMetrics } from './coordinator-metrics.ts';
import { addHealthService, COORDINATOR_HEALTH_SERVICE } from './health.ts';
import { JobScaling, type KubernetesModeOptions } from './scale-controller.ts';
import { CoordinatorUiSource } from './ui/coordinator-ui-source.ts';
import { startUiServer, type RunningUiServer } from './ui/ui-server.ts';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When given, clients must present a certificate signed by this CA (mutual TLS). */
  readonly caFile?: string;
}

export interface CoordinatorOptions {
  /** Interface to bind; 127.0.0.1 so a coordinator is never reachable from outside by accident. */
  readonly host?: string;
  /** 0 picks a free port; read it back from the result. */
  readonly port?: number;
  readonly dbPath: string;
  /** Cluster token every RPC must carry as `authorization: Bearer <token>`. */
  readonly token: string;
  readonly tls?: TlsFiles;
  /**
   * A worker silent for this long is lost and its job fails. 60 s: a worker heartbeats between
   * training steps, and one BERT-base step on a CPU core takes 8-10 s, so 15 s would fail healthy jobs.
   */
  readonly heartbeatTimeoutMs?: number;
  /** Largest request accepted; bigger ones get RESOURCE_EXHAUSTED. Job specs are a few KiB. */
  readonly maxMessageBytes?: number;
  /** Serve the live page (jobs, progress, curves, workers) over HTTP; same token as the RPCs. */
  readonly ui?: { readonly host?: string; readonly port: number };
  /** Serve Prometheus metrics (jobs and workers by state, progress, ETA, restarts) at /metrics; host default 127.0.0.1. */
  readonly metrics?: { readonly host?: string; readonly port: number };
  /**
   * Kubernetes mode, when the in-cluster configuration is there: ScaleJob sets the replicas of a
   * job's worker StatefulSet and a pod watch reports lost workers. Without it ScaleJob answers
   * FAILED_PRECONDITION (KUBERNETES_MODE_REQUIRED).
   */
  readonly kubernetes?: KubernetesModeOptions;
  readonly log?: (line: string) => void;
}

export interface RunningCoordinator {
  readonly port: number;
  readonly address: string;
  /** The live page, when `ui` was given. */
  readonly ui?: RunningUiServer;
  /** The /metrics server, when `metrics` was given. */
  readonly metrics?: RunningMetricsServer;
  stop(): Promise<void>;
}

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
// A clean shutdown waits this long for calls in flight, then cuts them.
const SHUTDOWN_GRACE_MS = 2_000;

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  if (options.token.length < 16) {
    throw new CoordinatorError('REQUEST_INVALID', `the cluster token must be at least 16 characters, got ${options.token.length}; generate one with \`openssl rand -hex 32\`.`);
  }
  const log = options.log ?? ((line: string) => console.error(`[coordinator] ${line}`));
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const credentials = serverCredentials(options.tls);
  const core = new CoordinatorCore(options.dbPath, { heartbeatTimeoutMs, log });
  const scaling = JobScaling.start(core, options.kubernetes, log);
  const { service, closeWatchers } = createCoordinatorService(core, options.token, log, scaling);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const server = new Server({ 'grpc.max_receive_message_length': maxMessageBytes });
  server.addService(CoordinatorService, service);
  const health = addHealthService(server, COORDINATOR_HEALTH_SERVICE);
  const host = options.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${hostPart}:${options.port ?? 0}`, credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
    );
  } catch (error) {
    scaling.stop();
    core.close();
    const address = `${hostPart}:${options.port ?? 0}`;
    throw new CoordinatorError('BIND_FAILED', `cannot listen on ${address}: ${(error as Error).message}; is another process on that port, or is ${host} not an address of this machine?`, {
      cause: error,
    });
  }
  // At least once a second: re-forming rings move on (rendezvous window, min_workers timeout) without waiting for a beat.
  const sweepTimer = setInterval(() => core.sweep(), Math.min(1_000, Math.max(20, Math.floor(heartbeatTimeoutMs / 4))));
  sweepTimer.unref();
  const address = `${hostPart}:${port}`;
  log(`listening on ${address} (${options.tls ? 'TLS' : 'plaintext'}), jobs in ${options.dbPath}`);
  const uiSource = options.ui === undefined ? undefined : new CoordinatorUiSource(core);
  let ui: RunningUiServer | undefined;
  let metrics: RunningMetricsServer | undefined;
  let unexportMetrics: (() => void) | undefined;
  try {
    if (options.ui !== undefined) ui = await startUiServer({ ...options.ui, token: options.token, source: uiSource!, title: 'tunefleet coordinator', log });
    if (options.metrics !== undefined) {
      const registry = new TunefleetMetrics();
      unexportMetrics = exportCoordinatorMetrics(core, registry);
      metrics = await startMetricsServer({ ...options.metrics, metrics: registry, name: 'coordinator', log });
    }
  } catch (error) {
    clearInterval(sweepTimer);
    scaling.stop();
    await ui?.stop();
    unexportMetrics?.();
    uiSource?.close();
    server.forceShutdown();
    core.close();
    throw error;
  }

  // Bound, recovered, and the live page and /metrics up: probes may pass.
  health.markServing();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      health.markNotServing();
      clearInterval(sweepTimer);
      scaling.stop();
      await ui?.stop();
      await metrics?.stop();
      unexportMetrics?.();
      uiSource?.close();
      closeWatchers();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      core.close();
      log('stopped');
    })();
    return stopping;
  };
  return { port, address, ...(ui === undefined ? {} : { ui }), ...(metrics === undefined ? {} : { metrics }), stop };
}

/** Unreadable or invalid TLS files throw TlsError (`TLS_INVALID`) naming the file and its role. */
function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return tlsServerCredentials(readTlsPems(tls), { requireClientCert: tls.caFile !== undefined });
}
