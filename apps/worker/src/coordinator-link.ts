import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { readTlsPems, tlsChannelCredentials, type TlsPems } from '@tunefleet/comm';
import {
  CoordinatorClient,
  type DeregisterRequest,
  type DeregisterResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
  type RegisterResponse,
  type ReportProgressRequest,
  type ReportProgressResponse,
} from '@tunefleet/proto';
import { WorkerError } from './worker-error.ts';

/** TLS towards the coordinator (and, for the collective, towards peers). */
export interface WorkerTlsFiles {
  /** CA that signed the coordinator's and the peers' certificates. */
  readonly caFile: string;
  /** This worker's certificate and key: the client certificate for mutual TLS, and the collective server's. */
  readonly certFile: string;
  readonly keyFile: string;
}

// Unary calls are tiny; 10 s rides out a busy coordinator but stays well inside the heartbeat timeout.
const CALL_DEADLINE_MS = 10_000;

/** The worker half of the coordinator protocol (apps/coordinator/README.md, "Worker protocol"). */
export interface CoordinatorLink {
  register(request: RegisterRequest): Promise<RegisterResponse>;
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse>;
  reportProgress(request: ReportProgressRequest): Promise<ReportProgressResponse>;
  deregister(request: DeregisterRequest): Promise<DeregisterResponse>;
  close(): void;
}

/**
 * `tls`: the files, or their PEMs already read (runWorker reads them once for this link and the
 * collective). Unreadable or invalid files throw TlsError (`TLS_INVALID`) naming the file and its role.
 */
export function connectCoordinator(address: string, token: string, tls?: WorkerTlsFiles | TlsPems): CoordinatorLink {
  const client = new CoordinatorClient(address, channelCredentials(tls));
  const metadata = (): Metadata => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };
  type Callback<Res> = (error: ServiceError | null, response: Res) => void;
  const call = <Res>(method: string, invoke: (md: Metadata, options: { deadline: number }, cb: Callback<Res>) => void): Promise<Res> =>
    new Promise((resolve, reject) =>
      invoke(metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) =>
        error ? reject(toWorkerError(method, address, error)) : resolve(response),
      ),
    );
  return {
    register: (request) => call('Register', (md, o, cb) => client.register(request, md, o, cb)),
    heartbeat: (request) => call('Heartbeat', (md, o, cb) => client.heartbeat(request, md, o, cb)),
    reportProgress: (request) => call('ReportProgress', (md, o, cb) => client.reportProgress(request, md, o, cb)),
    deregister: (request) => call('Deregister', (md, o, cb) => client.deregister(request, md, o, cb)),
    close: () => client.close(),
  };
}

/** Network trouble is retryable (keep trying until the heartbeat deadline); a refusal is not. */
function toWorkerError(method: string, address: string, error: ServiceError): WorkerError {
  const name = status[error.code] ?? 'UNKNOWN';
  const detail = error.details || error.message;
  if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED) {
    return new WorkerError('COORDINATOR_UNREACHABLE', `${method} to coordinator ${address}: ${name}: ${detail}; is the coordinator running and reachable?`, true, { cause: error });
  }
  const hint = error.code === status.UNAUTHENTICATED ? ' (check --token: it must be the cluster token the coordinator was started with)' : '';
  return new WorkerError('COORDINATOR_REJECTED', `${method} to coordinator ${address}: ${name}: ${detail}${hint}`, false, { cause: error, grpcCode: error.code });
}

function channelCredentials(tls: WorkerTlsFiles | TlsPems | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  return tlsChannelCredentials('files' in tls ? tls : readTlsPems(tls));
}
