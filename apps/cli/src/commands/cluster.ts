import { readFile } from 'node:fs/promises';
import { createCoordinatorClient, parseJobSpecYaml, startCoordinator, type CoordinatorClientApi } from '@tunefleet/coordinator';
import { Job, type JobProgress } from '@tunefleet/proto';
import { CliConfigError } from '../cli-config-error.ts';

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
export async function runCoordinator(options: ClusterAuthOptions & { host: string; port: number; db: string }): Promise<number> {
  const tls = options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey, caFile: options.tlsCa } : undefined;
  const coordinator = await startCoordinator({
    host: options.host,
    port: options.port,
    dbPath: options.db,
    token: resolveToken(options),
    tls,
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
    const final = await client.watchJob(job.jobId, (progress: JobProgress) => process.stderr.write(`${progressLine(progress)}\n`));
    print(Job.toJSON(final));
    return final.errorMessage ? 1 : 0;
  });
}

/** `tunefleet status [JOB]`: one job, or every job. */
export async function runStatus(jobId: string | undefined, options: ClusterAuthOptions & { coordinator: string }): Promise<number> {
  return withClient(options, async (client) => {
    if (jobId) print(Job.toJSON(await client.getJob(jobId)));
    else print((await client.listJobs()).map((job) => Job.toJSON(job)));
    return 0;
  });
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
