import { readFile } from 'node:fs/promises';
import { createCoordinatorClient, parseJobSpecYaml, startCoordinator, type CoordinatorClientApi } from '@tunefleet/coordinator';
import { Job, JobState, type JobProgress } from '@tunefleet/proto';
import { CliConfigError } from '../cli-config-error.ts';
import type { MetricsOptions } from '../process-options.ts';

export interface ClusterAuthOptions {
  token?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** The cluster token: `--token`, else the TUNEFLEET_TOKEN environment variable (apps alone read env). */
export function resolveToken(options: ClusterAuthOptions): string {
  const token = options.token ?? process.env.TUNEFLEET_TOKEN;
  if (!token) throw new CliConfigError('a cluster token is required: pass --token or set TUNEFLEET_TOKEN');
  return token;
}

function clientTls(options: ClusterAuthOptions) {
  if (!options.tlsCa && !options.tlsCert) return undefined;
  return { caFile: options.tlsCa, certFile: options.tlsCert, keyFile: options.tlsKey };
}

/** `tunefleet coordinator`: serves until SIGINT/SIGTERM. */
export async function runCoordinator(
  options: ClusterAuthOptions & { host: string; port: number; db: string; uiPort?: number; uiHost?: string; metrics?: MetricsOptions },
): Promise<number> {
  const tls = options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey, caFile: options.tlsCa } : undefined;
  const coordinator = await startCoordinator({
    host: options.host,
    port: options.port,
    dbPath: options.db,
    token: resolveToken(options),
    tls,
    // The live page's log line carries its one-time URL.
    ...(options.uiPort === undefined ? {} : { ui: { host: options.uiHost ?? '127.0.0.1', port: options.uiPort } }),
    ...(options.metrics?.metrics_port === undefined ? {} : { metrics: { host: options.metrics.metrics_host, port: options.metrics.metrics_port } }),
    // In a pod these name the API server: Kubernetes mode (scale through the API, pod watch).
    kubernetes: { inCluster: { serviceHost: process.env['KUBERNETES_SERVICE_HOST'], servicePort: process.env['KUBERNETES_SERVICE_PORT'] } },
    log: (line) => process.stderr.write(`${line}\n`),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await coordinator.stop();
  return 0;
}

async function withClient<T>(options: ClusterAuthOptions & { coordinator: string }, use: (client: CoordinatorClientApi) => Promise<T>): Promise<T> {
  const client = createCoordinatorClient(options.coordinator, resolveToken(options), clientTls(options));
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `tunefleet submit job.yaml`: queues a job; with --watch follows it to the end. */
export async function runSubmit(file: string, options: ClusterAuthOptions & { coordinator: string; watch?: boolean }): Promise<number> {
  const spec = parseJobSpecYaml(await readFile(file, 'utf8'), file);
  return withClient(options, async (client) => {
    const job = await client.submitJob(spec);
    print(Job.toJSON(job));
    if (!options.watch) return 0;
    // A coordinator restart keeps the job (same --db): the watch reconnects with backoff and follows it.
    const final = await client.watchJob(job.jobId, (progress: JobProgress) => process.stderr.write(`${progressLine(progress)}\n`), {
      onReconnect: (reason, delayMs) => process.stderr.write(`tunefleet: lost the coordinator (${reason}); watching ${job.jobId} again in ${delayMs} ms\n`),
    });
    print(Job.toJSON(final));
    return final.errorMessage ? 1 : 0;
  });
}

/** `tunefleet status [JOB]`: one job, or every job (JSON on stdout, one summary line per job on stderr). */
export async function runStatus(jobId: string | undefined, options: ClusterAuthOptions & { coordinator: string }): Promise<number> {
  return withClient(options, async (client) => {
    const jobs = jobId ? [await client.getJob(jobId)] : await client.listJobs();
    print(jobId ? Job.toJSON(jobs[0]!) : jobs.map((job) => Job.toJSON(job)));
    for (const job of jobs) process.stderr.write(`${statusLine(job)}\n`);
    return 0;
  });
}

/** `tunefleet scale JOB --workers N`: the job's worker count, through the coordinator (Kubernetes mode). */
export async function runScale(jobId: string, options: ClusterAuthOptions & { coordinator: string; workers: number }): Promise<number> {
  return withClient(options, async (client) => {
    const response = await client.scaleJob(jobId, options.workers);
    const change = response.created ? `created with ${options.workers} replicas` : `${response.previousReplicas} -> ${options.workers} replicas`;
    process.stderr.write(`StatefulSet ${response.statefulSet}: ${change}; new workers join at the ring's next re-formation\n`);
    print(Job.toJSON(response.job!));
    return 0;
  });
}

/** `sst2-0a1b RUNNING workers 2 running / 4 wanted step 10/100 (10.0%) ...`. */
export function statusLine(job: Job): string {
  const state = JobState[job.state].replace(/^JOB_STATE_/, '');
  const workers = `workers ${job.runningWorkers ?? 0} running / ${job.wantedWorkers ?? job.spec?.worldSize ?? 0} wanted`;
  const progress = job.progress === undefined ? '' : ` ${progressLine(job.progress)}`;
  const message = job.statusMessage ? `: ${job.statusMessage}` : job.errorMessage ? `: ${job.errorMessage}` : '';
  return `${job.jobId} ${state} ${workers}${progress}${message}`;
}

/** `tunefleet cancel JOB`. */
export async function runCancel(jobId: string, options: ClusterAuthOptions & { coordinator: string }): Promise<number> {
  return withClient(options, async (client) => {
    print(Job.toJSON(await client.cancelJob(jobId)));
    return 0;
  });
}

export function progressLine(progress: JobProgress): string {
  const percent = progress.percentDone.toFixed(1);
  return `step ${progress.globalStep}/${progress.maxSteps} (${percent}%) loss ${progress.loss.toFixed(4)} ${progress.samplesPerSecond.toFixed(1)} samples/s ETA ${Math.round(progress.etaSeconds)} s`;
}
