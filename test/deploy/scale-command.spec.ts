// `tunefleet scale`, `tunefleet status` and `tunefleet worker --port` as their own OS processes
// against real coordinators: one started by `tunefleet coordinator` outside Kubernetes, and one in
// Kubernetes mode whose in-cluster configuration points at a fake API server over HTTPS.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createCoordinatorClient, parseJobSpecYaml, startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeCluster, scriptFirstScale, type FakeCluster } from '../../apps/coordinator/src/kubernetes/test-support.ts';
import { removeTempDirs, tempDir } from '../data-parallel/support.ts';
import { waitUntil } from '../local-cluster/processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const HEALTHCHECK = join(ROOT, 'deploy/docker/healthcheck.mjs');
const TOKEN = 'scale-command-token-0123456789abcdef';
const JOB_YAML =
  'name: scaled\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: 2\nmin_workers: 1\nmax_workers: 4\ntraining_arguments:\n  output_dir: out\n';
// Outside a pod, whatever the machine running the tests is.
const NOT_IN_A_POD = { KUBERNETES_SERVICE_HOST: undefined, KUBERNETES_SERVICE_PORT: undefined, TUNEFLEET_TOKEN: TOKEN };
const TEMPLATE = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'tunefleet-worker', namespace: 'tunefleet' },
  spec: {
    serviceName: 'tunefleet-workers',
    replicas: 2,
    selector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } },
    template: { metadata: { labels: { 'app.kubernetes.io/component': 'worker' } }, spec: { containers: [{ name: 'worker', image: 'tunefleet' }] } },
  },
};

const run = promisify(execFile);
const children: ChildProcess[] = [];
let coordinator: RunningCoordinator | undefined;
let cluster: FakeCluster | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await coordinator?.stop();
  coordinator = undefined;
  await cluster?.api.close();
  cluster = undefined;
  await removeTempDirs();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...NOT_IN_A_POD } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function background(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...NOT_IN_A_POD }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  const proc = { child, stderr: '', exited: new Promise<number | null>((done) => child.once('exit', (code) => done(code))) };
  child.stderr!.on('data', (chunk: Buffer) => (proc.stderr += chunk.toString()));
  return proc;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('tunefleet scale', () => {
  it('outside Kubernetes says it needs the Kubernetes mode; status shows the workers wanted and running', async () => {
    const dir = await tempDir();
    const server = background(['coordinator', '--port', '0', '--db', join(dir, 'jobs.db')]);
    await waitUntil(() => /listening on 127\.0\.0\.1:\d+/.test(server.stderr), 60_000);
    const address = /listening on (127\.0\.0\.1:\d+)/.exec(server.stderr)![1]!;
    expect(server.stderr).not.toContain('Kubernetes mode');
    await writeFile(join(dir, 'job.yaml'), JOB_YAML);
    const submitted = await cli(['submit', join(dir, 'job.yaml'), '--coordinator', address]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = (JSON.parse(submitted.stdout) as { jobId: string }).jobId;

    const scaled = await cli(['scale', jobId, '--workers', '2', '--coordinator', address]);
    expect(scaled.code).toBe(1);
    expect(scaled.stderr).toContain('ScaleJob: FAILED_PRECONDITION: KUBERNETES_MODE_REQUIRED: scaling workers needs the Kubernetes mode');

    const shown = await cli(['status', jobId, '--coordinator', address]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ jobId, state: 'JOB_STATE_PENDING', wantedWorkers: 2, runningWorkers: 0 });
    expect(shown.stderr).toContain(`${jobId} PENDING workers 0 running / 2 wanted step 0/0`);

    const usage = await cli(['scale', jobId, '--workers', '0', '--coordinator', address]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--workers: expected an integer from 1');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('in Kubernetes mode scales the job\'s StatefulSet, and refuses a count outside [min_workers, max_workers]', async () => {
    const dir = await tempDir();
    cluster = await startFakeCluster(dir);
    coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: TOKEN, kubernetes: { inCluster: cluster.inCluster }, log: () => {} });
    const client = createCoordinatorClient(coordinator.address, TOKEN);
    const job = await client.submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml')).finally(() => client.close());
    const name = `tunefleet-worker-${job.jobId}`;
    scriptFirstScale(cluster, name, TEMPLATE);

    const scaled = await cli(['scale', job.jobId, '--workers', '3', '--coordinator', coordinator.address]);
    expect(scaled.code, scaled.stderr).toBe(0);
    expect(JSON.parse(scaled.stdout)).toMatchObject({ jobId: job.jobId, wantedWorkers: 3, runningWorkers: 0 });
    expect(scaled.stderr).toContain(`StatefulSet ${name}: created with 3 replicas`);
    const created = cluster.api.requests.find((request) => request.method === 'POST');
    expect(created?.body).toMatchObject({ metadata: { name }, spec: { replicas: 3 } });

    const refused = await cli(['scale', job.jobId, '--workers', '9', '--coordinator', coordinator.address]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`INVALID_ARGUMENT: SCALE_OUT_OF_RANGE: job ${job.jobId}: cannot scale to 9 workers: outside [1, 4] (the job's min_workers 1 and max_workers 4)`);

    const shown = await cli(['status', '--coordinator', coordinator.address]);
    expect(shown.stderr).toContain(`${job.jobId} PENDING workers 0 running / 3 wanted`);
  });
});

describe('tunefleet worker --port', () => {
  it('listens for its ring on the given port, which answers the images\' health check', async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: TOKEN, log: (line) => lines.push(line) });
    const port = await freePort();
    const worker = background(['worker', '--coordinator', coordinator.address, '--backend', 'cpu', '--worker-id', 'fixed-0', '--port', String(port)]);
    await waitUntil(() => worker.stderr.includes('registered as fixed-0'), 60_000);
    expect(worker.stderr).toContain(`(collective 127.0.0.1:${port},`);
    expect(lines.some((line) => line.startsWith(`worker fixed-0 registered (collective 127.0.0.1:${port},`))).toBe(true);
    const health = await run(process.execPath, [HEALTHCHECK], { cwd: ROOT, env: { ...process.env, TUNEFLEET_HEALTH_PORT: String(port) } });
    expect(health.stdout).toBe('healthy\n');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(143);
  });

  it('refuses a port outside 0-65535', async () => {
    const refused = await cli(['worker', '--coordinator', '127.0.0.1:1', '--port', '70000']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--port: expected a port from 0 to 65535, got "70000"');
  });
});
