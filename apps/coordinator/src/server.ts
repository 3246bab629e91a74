import { Server, ServerCredentials } from '@grpc/grpc-js';
import { readTlsPems, tlsServerCredentials } from '@tunefleet/comm';
import { CoordinatorService } from '@tunefleet/proto';
import { CoordinatorCore } from './coordinator-core.ts';
import { createCoordinatorService } from './coordinator-service.ts';
import { CoordinatorError } from './coordinator-error.ts';

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
  readonly log?: (line: string) => void;
}

export interface RunningCoordinator {
  readonly port: number;
  readonly address: string;
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
  const { service, closeWatchers } = createCoordinatorService(core, options.token, log);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const server = new Server({ 'grpc.max_receive_message_length': maxMessageBytes });
  server.addService(CoordinatorService, service);
  const host = options.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${hostPart}:${options.port ?? 0}`, credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
    );
  } catch (error) {
    core.close();
    const address = `${hostPart}:${options.port ?? 0}`;
    throw new CoordinatorError('BIND_FAILED', `cannot listen on ${address}: ${(error as Error).message}; is another process on that port, or is ${host} not an address of this machine?`, {
      cause: error,
    });
  }
  const sweepTimer = setInterval(() => core.sweep(), Math.max(20, Math.floor(heartbeatTimeoutMs / 4)));
  sweepTimer.unref();
  const address = `${hostPart}:${port}`;
  log(`listening on ${address} (${options.tls ? 'TLS' : 'plaintext'}), jobs in ${options.dbPath}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(sweepTimer);
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
  return { port, address, stop };
}

/** Unreadable or invalid TLS files throw TlsError (`TLS_INVALID`) naming the file and its role. */
function serverCredentials(tls: TlsFiles | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return tlsServerCredentials(readTlsPems(tls), { requireClientCert: tls.caFile !== undefined });
}
