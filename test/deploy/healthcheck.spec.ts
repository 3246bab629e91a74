import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';

// deploy/docker/healthcheck.mjs is the images' HEALTHCHECK: one grpc.health.v1.Health/Check call.
// Here it runs against a real gRPC server on 127.0.0.1:0 that answers with a chosen status.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'deploy/docker/healthcheck.mjs');
const SERVING = 1;
const NOT_SERVING = 2;

const identity = (buffer: Buffer): Buffer => buffer;
const HEALTH: ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

let server: Server | undefined;

async function startHealthServer(answer: (service: string) => number | 'unimplemented'): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  server = new Server();
  server.addService(HEALTH, {
    Check: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      // HealthCheckRequest { string service = 1; }: empty, or 0x0a <len> <bytes>.
      const service = call.request.length === 0 ? '' : call.request.subarray(2, 2 + call.request[1]!).toString('utf8');
      asked.push(service);
      const result = answer(service);
      if (result === 'unimplemented') callback({ code: status.UNIMPLEMENTED, details: 'no health service' });
      else callback(null, Buffer.from([0x08, result]));
    },
  });
  const port = await new Promise<number>((done, fail) =>
    server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? fail(error) : done(bound))),
  );
  return { port, asked };
}

async function healthcheck(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.tryShutdown(() => done()) : done()));
  server = undefined;
});

describe('deploy/docker/healthcheck.mjs', () => {
  it('exits 0 when the server answers SERVING, asking about the whole server by default', async () => {
    const { port, asked } = await startHealthServer(() => SERVING);
    const result = await healthcheck({ TUNEFLEET_HEALTH_PORT: String(port) });
    expect(result).toEqual({ code: 0, output: 'healthy\n' });
    expect(asked).toEqual(['']);
  });

  it('asks about TUNEFLEET_HEALTH_SERVICE when set', async () => {
    const { port, asked } = await startHealthServer((service) => (service === 'tunefleet.v1.Coordinator' ? SERVING : NOT_SERVING));
    const result = await healthcheck({ TUNEFLEET_HEALTH_PORT: String(port), TUNEFLEET_HEALTH_SERVICE: 'tunefleet.v1.Coordinator' });
    expect(result.code).toBe(0);
    expect(asked).toEqual(['tunefleet.v1.Coordinator']);
  });

  it('exits 1 naming the status when the server is NOT_SERVING', async () => {
    const { port } = await startHealthServer(() => NOT_SERVING);
    const result = await healthcheck({ TUNEFLEET_HEALTH_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.output).toBe(`unhealthy: 127.0.0.1:${port}: status 2, expected SERVING (1)\n`);
  });

  it('exits 1 when the server has no health service', async () => {
    const { port } = await startHealthServer(() => 'unimplemented');
    const result = await healthcheck({ TUNEFLEET_HEALTH_PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^unhealthy: 127\.0\.0\.1:\d+: 12 UNIMPLEMENTED/);
  });

  it('exits 1 when nothing listens on the port', async () => {
    const { port } = await startHealthServer(() => SERVING);
    await new Promise<void>((done) => server!.tryShutdown(() => done()));
    server = undefined;
    const result = await healthcheck({ TUNEFLEET_HEALTH_PORT: String(port), TUNEFLEET_HEALTH_TIMEOUT_MS: '1000' });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^unhealthy: 127\.0\.0\.1:\d+: 14 UNAVAILABLE/);
  });
});
