import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorClient, JobProgress, JobState, type HeartbeatResponse, type RegisterResponse, type ReportProgressResponse } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { createCoordinatorClient } from './client.ts';
import { CoordinatorClientError } from './coordinator-client-error.ts';
import { CoordinatorError } from './coordinator-error.ts';
import { parseJobSpecYaml } from './job-spec.ts';
import { startCoordinator, type CoordinatorOptions, type RunningCoordinator } from './server.ts';

const TOKEN = 'test-token-0123456789abcdef';
const JOB_YAML = 'name: it\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: 2\ntraining_arguments:\n  output_dir: out\n';

async function rejection(promise: Promise<unknown>): Promise<CoordinatorClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CoordinatorClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('coordinator server', () => {
  let dir: string;
  let logLines: string[];
  let coordinator: RunningCoordinator | undefined;
  const clients: { close(): void }[] = [];

  const start = async (extra: Partial<CoordinatorOptions> = {}) => {
    coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: TOKEN, log: (line) => logLines.push(line), ...extra });
    return coordinator;
  };
  const userClient = (token = TOKEN, address = coordinator!.address) => {
    const client = createCoordinatorClient(address, token);
    clients.push(client);
    return client;
  };
  /** A worker speaks the generated client directly, as apps/worker will. */
  const workerClient = () => {
    const client = new CoordinatorClient(coordinator!.address, credentials.createInsecure());
    clients.push(client);
    const md = new Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    const settle = <Res>(resolve: (r: Res) => void, reject: (e: ServiceError) => void) => (error: ServiceError | null, response: Res) =>
      error ? reject(error) : resolve(response);
    return {
      register: (workerId: string, port: number) =>
        new Promise<RegisterResponse>((resolve, reject) =>
          client.register({ workerId, collectiveAddress: `127.0.0.1:${port}`, cpuCount: 1, memoryBytes: 0, backend: 'cpu' }, md, settle(resolve, reject)),
        ),
      heartbeat: (workerId: string, ringGeneration = 0) =>
        new Promise<HeartbeatResponse>((resolve, reject) => client.heartbeat({ workerId, ringGeneration }, md, settle(resolve, reject))),
      report: (workerId: string, ringGeneration: number, progress: Partial<JobProgress>) =>
        new Promise<ReportProgressResponse>((resolve, reject) =>
          client.reportProgress(
            { workerId, ringGeneration, progress: JobProgress.fromPartial(progress), errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] },
            md,
            settle(resolve, reject),
          ),
        ),
    };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordinator-server-'));
    logLines = [];
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await coordinator?.stop();
    coordinator = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a missing or wrong token with UNAUTHENTICATED, logs it, and leaks no job data', async () => {
    await start();
    const job = await userClient().submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
    for (const token of ['wrong-token-0123456789abcdef', '']) {
      const error = await rejection(userClient(token).getJob(job.jobId));
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).not.toContain(job.jobId);
      expect(error.message).not.toContain('t.tsv');
      expect((await rejection(userClient(token).watchJob(job.jobId, () => {}))).code).toBe('UNAUTHENTICATED');
    }
    const noMetadata = new CoordinatorClient(coordinator!.address, credentials.createInsecure());
    clients.push(noMetadata);
    const bare = await new Promise<ServiceError | null>((resolve) => noMetadata.listJobs({ states: [], pageSize: 0, pageToken: '' }, (error) => resolve(error)));
    expect(bare?.code).toBe(status.UNAUTHENTICATED);
    expect(logLines.filter((line) => line.startsWith('rejected ')).length).toBe(5);
    expect(logLines.join('\n')).not.toContain('wrong-token');
    expect((await userClient().getJob(job.jobId)).jobId).toBe(job.jobId);
  });

  it('answers a malformed job spec with INVALID_ARGUMENT listing every invalid field', async () => {
    await start();
    const error = await rejection(
      userClient().submitJob({ name: 'Bad!', modelNameOrPath: '', task: 'x', trainFile: '', validationFile: '', worldSize: 0, trainingArgumentsJson: '{"learning_rate": -1}', gradientDtype: 0, collectiveTimeoutMs: 5 }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    for (const field of ['name', 'model_name_or_path', 'task', 'train_file', 'world_size', 'collective_timeout_ms', 'training_arguments.output_dir', 'training_arguments.learning_rate']) {
      expect(error.message).toContain(`  ${field}: `);
    }
    expect(await userClient().listJobs()).toEqual([]);
  });

  it('answers an oversized message with RESOURCE_EXHAUSTED and keeps serving', async () => {
    await start({ maxMessageBytes: 64 * 1024 });
    const spec = { ...parseJobSpecYaml(JOB_YAML, 'job.yaml'), trainFile: 'x'.repeat(100 * 1024) };
    expect((await rejection(userClient().submitJob(spec))).code).toBe('RESOURCE_EXHAUSTED');
    expect((await userClient().submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'))).state).toBe(JobState.JOB_STATE_PENDING);
  });

  it('runs the worker protocol: register (twice), heartbeat to an assignment, progress, success seen by WatchJob', async () => {
    await start();
    const user = userClient();
    const job = await user.submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
    const worker = workerClient();
    // A third of the default 60 s heartbeat timeout.
    expect((await worker.register('w0', 7000)).heartbeatIntervalMs).toBe(20_000);
    await worker.register('w0', 7000); // idempotent
    const conflict = await worker.register('w9', 7000).catch((error: ServiceError) => error);
    expect((conflict as ServiceError).code).toBe(status.ALREADY_EXISTS);
    await worker.register('w1', 7001);
    const { assignment } = await worker.heartbeat('w1');
    expect(assignment).toMatchObject({ jobId: job.jobId, rank: 1, worldSize: 2, leftAddress: '127.0.0.1:7000', rightAddress: '127.0.0.1:7000' });

    const updates: JobProgress[] = [];
    const watched = user.watchJob(job.jobId, (progress) => updates.push(progress));
    await expect.poll(() => updates.length).toBeGreaterThan(0);
    await worker.report('w0', assignment!.ringGeneration, { globalStep: 3, loss: 0.25 });
    await worker.report('w0', assignment!.ringGeneration, { globalStep: 6, state: JobState.JOB_STATE_SUCCEEDED });
    const final = await watched;
    expect(final.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(updates.at(-1)?.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(updates.some((progress) => progress.globalStep === 3 && progress.loss === 0.25)).toBe(true);
    expect((await rejection(user.cancelJob(job.jobId))).code).toBe('FAILED_PRECONDITION');
  });

  it('keeps a job and its final state across a restart on the same database', async () => {
    await start();
    const job = await userClient().submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
    await userClient().cancelJob(job.jobId);
    for (const client of clients.splice(0)) client.close();
    await coordinator!.stop();
    await start();
    const again = await userClient().getJob(job.jobId);
    expect(again).toMatchObject({ jobId: job.jobId, state: JobState.JOB_STATE_CANCELLED, spec: { name: 'it', worldSize: 2 } });
    expect((await rejection(userClient().getJob('missing'))).code).toBe('NOT_FOUND');
  });

  it('re-forms a ring whose only worker stops heartbeating, waits for min_workers, then fails with the reason', async () => {
    await start({ heartbeatTimeoutMs: 300 });
    const yaml = JOB_YAML.replace('world_size: 2', 'world_size: 1\nmin_workers_timeout_ms: 600');
    const job = await userClient().submitJob(parseJobSpecYaml(yaml, 'job.yaml'));
    await workerClient().register('w-xyz', 7002);
    const states: JobState[] = [];
    const final = await userClient().watchJob(job.jobId, (progress) => states.push(progress.state));
    expect(final.state).toBe(JobState.JOB_STATE_FAILED);
    expect(states).toContain(JobState.JOB_STATE_WAITING_FOR_WORKERS);
    expect(final.errorMessage).toMatch(/^rank 0 \(worker w-xyz at 127\.0\.0\.1:7002\) missed heartbeats for 300 ms; then only 0 of min_workers 1 workers were available for 600 ms/);
  });

  it('serves over TLS when given a certificate and key', async (context) => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    } catch {
      context.skip(); // No openssl on this machine: nothing to make a certificate with.
    }
    await start({ tls: { certFile: cert, keyFile: key } });
    const secure = createCoordinatorClient(coordinator!.address, TOKEN, { caFile: cert });
    clients.push(secure);
    expect(await secure.listJobs()).toEqual([]);
    const plaintext = await rejection(userClient().listJobs());
    expect(plaintext.code).toBe('UNAVAILABLE');
  });
});

describe('startCoordinator options', () => {
  it('refuses a short token before opening anything', async () => {
    await expect(startCoordinator({ dbPath: ':memory:', token: 'short', log: () => {} })).rejects.toThrow(/at least 16 characters/);
  });

  it('fails with BIND_FAILED naming host:port and the OS reason when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const error = await startCoordinator({ port, dbPath: ':memory:', token: TOKEN, log: () => {} }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CoordinatorError);
      expect(errorCode(error)).toBe('BIND_FAILED');
      expect((error as Error).message).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect((error as Error).message).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('fails with TLS_INVALID naming the file and its role for a missing or a garbage PEM file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordinator-tls-'));
    try {
      const garbage = join(dir, 'garbage.pem');
      writeFileSync(garbage, 'not a certificate\n');
      const cases: { tls: { certFile: string; keyFile: string; caFile?: string }; role: string; file: string }[] = [
        { tls: { certFile: join(dir, 'missing.crt'), keyFile: garbage }, role: 'certificate', file: join(dir, 'missing.crt') },
        { tls: { certFile: garbage, keyFile: garbage }, role: 'certificate', file: garbage },
      ];
      try {
        const cert = join(dir, 'cert.pem');
        const key = join(dir, 'key.pem');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], {
          stdio: 'ignore',
        });
        // With a real certificate, the key and the CA are checked too.
        cases.push({ tls: { certFile: cert, keyFile: join(dir, 'missing.key') }, role: 'key', file: join(dir, 'missing.key') });
        cases.push({ tls: { certFile: cert, keyFile: key, caFile: garbage }, role: 'CA', file: garbage });
      } catch {
        // No openssl on this machine: the certificate cases above still run.
      }
      for (const { tls, role, file } of cases) {
        const error = await startCoordinator({ port: 0, dbPath: ':memory:', token: TOKEN, tls, log: () => {} }).catch((e: unknown) => e);
        expect(errorCode(error)).toBe('TLS_INVALID');
        expect(error).toMatchObject({ role, file });
        expect((error as Error).message).toContain(`TLS ${role} file ${file}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
