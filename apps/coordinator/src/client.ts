import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { readTlsPems, tlsChannelCredentials } from '@tunefleet/comm';
import {
  CoordinatorClient as GeneratedClient,
  type CancelJobResponse,
  type GetJobResponse,
  type Job,
  JobState,
  type JobProgress,
  type JobSpec,
  type ListJobsResponse,
  type ScaleJobResponse,
  type SubmitJobResponse,
} from '@tunefleet/proto';
import { CoordinatorClientError } from './coordinator-client-error.ts';

export interface ClientTlsFiles {
  /** CA that signed the coordinator's certificate; omitted: the system roots. */
  readonly caFile?: string;
  /** Client certificate and key, for a coordinator that requires mutual TLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface CoordinatorClientApi {
  submitJob(spec: JobSpec): Promise<Job>;
  getJob(jobId: string): Promise<Job>;
  listJobs(states?: readonly JobState[]): Promise<Job[]>;
  cancelJob(jobId: string): Promise<Job>;
  /** Sets the job's worker count (Kubernetes mode); the answer names the StatefulSet and its replicas before. */
  scaleJob(jobId: string, workers: number): Promise<ScaleJobResponse>;
  /**
   * Calls `onProgress` for every update until the job finishes; resolves with the final job. A
   * coordinator that restarts (or is briefly unreachable) is watched again with backoff, up to
   * `reconnectTimeoutMs` (default 120 s) without an answer; `onReconnect` hears of each retry.
   */
  watchJob(jobId: string, onProgress: (progress: JobProgress) => void, options?: WatchOptions): Promise<Job>;
  close(): void;
}

export interface WatchOptions {
  readonly reconnectTimeoutMs?: number;
  readonly onReconnect?: (reason: string, delayMs: number) => void;
}

// Unary calls are small; 30 s covers a coordinator busy with a slow disk without hanging a CLI forever.
const DEFAULT_DEADLINE_MS = 30_000;
// A restarted coordinator recovers its jobs within seconds; two minutes covers a rescheduled pod.
const DEFAULT_WATCH_RECONNECT_MS = 120_000;
const WATCH_RETRY_FIRST_MS = 250;
const WATCH_RETRY_MAX_MS = 5_000;
/** The coordinator is down or restarting (or its stream was cut): watch again. */
const RETRYABLE_WATCH = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.UNKNOWN, status.INTERNAL]);
const FINISHED = new Set([JobState.JOB_STATE_SUCCEEDED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_CANCELLED]);

/** Promise wrappers over the generated Coordinator client for users (submit, status, cancel, watch). */
export function createCoordinatorClient(address: string, token: string, tls?: ClientTlsFiles): CoordinatorClientApi {
  const client = new GeneratedClient(address, channelCredentials(tls));
  const metadata = (): Metadata => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };
  const deadline = () => ({ deadline: Date.now() + DEFAULT_DEADLINE_MS });

  type Callback<Res> = (error: ServiceError | null, response: Res) => void;
  function call<Res>(method: string, invoke: (cb: Callback<Res>) => void): Promise<Res> {
    return new Promise((resolve, reject) => invoke((error, response) => (error ? reject(new CoordinatorClientError(method, error)) : resolve(response))));
  }
  const jobOf = (method: string, job: Job | undefined): Job => {
    if (job === undefined) throw new Error(`${method}: the coordinator answered without a job`);
    return job;
  };

  let isClosed = false;
  const api: CoordinatorClientApi = {
    async submitJob(spec) {
      const response = await call<SubmitJobResponse>('SubmitJob', (cb) => client.submitJob({ spec }, metadata(), deadline(), cb));
      return jobOf('SubmitJob', response.job);
    },
    async getJob(jobId) {
      const response = await call<GetJobResponse>('GetJob', (cb) => client.getJob({ jobId }, metadata(), deadline(), cb));
      return jobOf('GetJob', response.job);
    },
    async listJobs(states = []) {
      const jobs: Job[] = [];
      let pageToken = '';
      do {
        const page = await call<ListJobsResponse>('ListJobs', (cb) =>
          client.listJobs({ states: [...states], pageSize: 500, pageToken }, metadata(), deadline(), cb),
        );
        jobs.push(...page.jobs);
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return jobs;
    },
    async cancelJob(jobId) {
      const response = await call<CancelJobResponse>('CancelJob', (cb) => client.cancelJob({ jobId }, metadata(), deadline(), cb));
      return jobOf('CancelJob', response.job);
    },
    async scaleJob(jobId, workers) {
      const response = await call<ScaleJobResponse>('ScaleJob', (cb) => client.scaleJob({ jobId, workers }, metadata(), deadline(), cb));
      jobOf('ScaleJob', response.job);
      return response;
    },
    async watchJob(jobId, onProgress, options = {}) {
      const reconnectTimeoutMs = options.reconnectTimeoutMs ?? DEFAULT_WATCH_RECONNECT_MS;
      let failingSinceMs: number | undefined;
      let delayMs = WATCH_RETRY_FIRST_MS;
      for (;;) {
        try {
          await new Promise<void>((resolve, reject) => {
            const stream = client.watchJob({ jobId }, metadata());
            stream.on('data', (response: { progress?: JobProgress }) => {
              failingSinceMs = undefined; // answering again: the next outage gets the full budget
              delayMs = WATCH_RETRY_FIRST_MS;
              if (response.progress !== undefined) onProgress(response.progress);
            });
            stream.on('error', (error: ServiceError) => reject(new CoordinatorClientError('WatchJob', error)));
            stream.on('end', () => resolve());
          });
          // The stream ends when the job finished, or when a coordinator went away cleanly: ask.
          const job = await api.getJob(jobId);
          if (FINISHED.has(job.state)) return job;
        } catch (error) {
          const isRetryable = error instanceof CoordinatorClientError && RETRYABLE_WATCH.has(error.grpcCode);
          if (!isRetryable || isClosed) throw error;
          failingSinceMs ??= Date.now();
          if (Date.now() - failingSinceMs + delayMs > reconnectTimeoutMs) {
            throw new CoordinatorClientError('WatchJob', {
              ...(error.cause as ServiceError),
              details: `${(error as Error).message}; no answer from coordinator ${address} for ${Date.now() - failingSinceMs} ms (gave up after ${reconnectTimeoutMs} ms); \`tunefleet status ${jobId}\` shows the job once it is back`,
            });
          }
          options.onReconnect?.((error as Error).message, delayMs);
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, WATCH_RETRY_MAX_MS);
        }
      }
    },
    close() {
      isClosed = true;
      client.close();
    },
  };
  return api;
}

/** Unreadable or invalid TLS files throw TlsError (`TLS_INVALID`) naming the file and its role. */
function channelCredentials(tls: ClientTlsFiles | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  return tlsChannelCredentials(readTlsPems(tls));
}
