import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, credentials, makeClientConstructor, Metadata, status, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcCollectiveEndpoint } from '@tunefleet/comm';
import { startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { CoordinatorClient } from '@tunefleet/proto';

// The probes of deploy/k8s and the images' HEALTHCHECK (deploy/docker/healthcheck.mjs) against the
// real servers they probe: the coordinator and a worker's collective server answer grpc.health.v1
// without the cluster token, and every other method still refuses a caller without it.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'deploy/docker/healthcheck.mjs');
const TOKEN = 'health-test-token-0123456789abcdef';

type HealthClient = Client & { Check(request: { service: string }, callback: (error: ServiceError | null, response: { status: string }) => void): void };
const HealthClientConstructor = makeClientConstructor(healthService as ServiceDefinition, 'grpc.health.v1.Health') as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => HealthClient;

async function healthcheck(port: number, service = ''): Promise<{ code: number; output: string }> {
  const env = { ...process.env, TUNEFLEET_HEALTH_PORT: String(port), TUNEFLEET_HEALTH_SERVICE: service, TUNEFLEET_HEALTH_TIMEOUT_MS: '3000' };
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT], { cwd: ROOT, env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

async function check(address: string, service: string): Promise<string> {
  const client = new HealthClientConstructor(address, credentials.createInsecure());
  try {
    return await new Promise((done, fail) => client.Check({ service }, (error, response) => (error ? fail(error) : done(response.status))));
  } finally {
    client.close();
  }
}

/** The status code of a unary call made without any authorization metadata. */
function unaryStatus(invoke: (callback: (error: ServiceError | null) => void) => void): Promise<status> {
  return new Promise((done) => invoke((error) => done(error === null ? status.OK : error.code)));
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

describe('gRPC health checking on the coordinator', () => {
  let dir: string;
  let coordinator: RunningCoordinator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-health-'));
    coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: TOKEN, log: () => {} });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers SERVING without the token, to the images\' HEALTHCHECK and to a grpc.health.v1 client', async () => {
    expect(await healthcheck(coordinator.port)).toEqual({ code: 0, output: 'healthy\n' });
    expect(await healthcheck(coordinator.port, 'tunefleet.v1.Coordinator')).toEqual({ code: 0, output: 'healthy\n' });
    expect(await check(coordinator.address, '')).toBe('SERVING');
    expect(await check(coordinator.address, 'tunefleet.v1.Coordinator')).toBe('SERVING');
    await expect(check(coordinator.address, 'tunefleet.v1.Unknown')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('still refuses every Coordinator method without the token', async () => {
    const client = new CoordinatorClient(coordinator.address, credentials.createInsecure());
    const none = new Metadata();
    try {
      const codes = {
        submitJob: await unaryStatus((cb) => client.submitJob({}, none, cb)),
        getJob: await unaryStatus((cb) => client.getJob({ jobId: 'x' }, none, cb)),
        listJobs: await unaryStatus((cb) => client.listJobs({ states: [], pageSize: 0, pageToken: '' }, none, cb)),
        cancelJob: await unaryStatus((cb) => client.cancelJob({ jobId: 'x' }, none, cb)),
        scaleJob: await unaryStatus((cb) => client.scaleJob({ jobId: 'x', workers: 2 }, none, cb)),
        register: await unaryStatus((cb) => client.register({ workerId: 'w', collectiveAddress: '127.0.0.1:1', cpuCount: 1, memoryBytes: 1, backend: 'cpu' }, none, cb)),
        heartbeat: await unaryStatus((cb) => client.heartbeat({ workerId: 'w', ringGeneration: 0 }, none, cb)),
        reportProgress: await unaryStatus((cb) => client.reportProgress({ workerId: 'w', ringGeneration: 0, errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [] }, none, cb)),
        deregister: await unaryStatus((cb) => client.deregister({ workerId: 'w', reason: '' }, none, cb)),
        watchJob: await new Promise<status>((done) => client.watchJob({ jobId: 'x' }, none).on('error', (error: ServiceError) => done(error.code)).on('data', () => {})),
      };
      expect(codes).toEqual(Object.fromEntries(Object.keys(codes).map((method) => [method, status.UNAUTHENTICATED])));
    } finally {
      client.close();
    }
  });

  it('answers NOT_SERVING, then nothing, once stopped', async () => {
    const second = await startCoordinator({ port: 0, dbPath: join(dir, 'second.db'), token: TOKEN, log: () => {} });
    expect(await check(second.address, '')).toBe('SERVING');
    await second.stop();
    const after = await healthcheck(second.port);
    expect(after.code).toBe(1);
    expect(after.output).toContain(`unhealthy: 127.0.0.1:${second.port}`);
  });
});

describe('gRPC health checking on a worker\'s collective server', () => {
  let endpoint: GrpcCollectiveEndpoint;

  beforeAll(async () => {
    endpoint = await GrpcCollectiveEndpoint.listen({ token: TOKEN, host: '127.0.0.1', port: 0, logger: { warn: () => {} } });
  });
  afterAll(async () => {
    await endpoint?.close();
  });

  it('answers SERVING without the token once listening', async () => {
    expect(await healthcheck(portOf(endpoint.address))).toEqual({ code: 0, output: 'healthy\n' });
    expect(await check(endpoint.address, 'tunefleet.v1.Collective')).toBe('SERVING');
  });

  it('still refuses DataPlane.Offer and Collective.Exchange without the token', async () => {
    const client = new Client(endpoint.address, credentials.createInsecure());
    const identity = (buffer: Buffer): Buffer => buffer;
    try {
      const offer = await unaryStatus((cb) => client.makeUnaryRequest('/tunefleet.comm.v1.DataPlane/Offer', identity, identity, Buffer.from('{}'), new Metadata(), cb));
      const exchange = await new Promise<status>((done) => {
        const call = client.makeClientStreamRequest('/tunefleet.v1.Collective/Exchange', identity, identity, new Metadata(), (error) => done(error === null ? status.OK : error.code));
        call.end();
      });
      expect({ offer, exchange }).toEqual({ offer: status.UNAUTHENTICATED, exchange: status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  it('listens on a fixed port when given one (tunefleet worker --port), and answers NOT_SERVING, then nothing, once closed', async () => {
    const port = portOf(endpoint.address) + 1;
    const fixed = await GrpcCollectiveEndpoint.listen({ token: TOKEN, host: '127.0.0.1', port, logger: { warn: () => {} } }).catch(() => undefined);
    // The next port may be taken by another process on a shared machine: then there is nothing to check here.
    if (fixed === undefined) return;
    expect(fixed.address).toBe(`127.0.0.1:${port}`);
    expect(await check(fixed.address, '')).toBe('SERVING');
    await fixed.close();
    expect((await healthcheck(port)).code).toBe(1);
  });
});
