// Fuzzing a running coordinator's gRPC service (issue 10): random SubmitJob, Register, Heartbeat
// and ReportProgress requests, as well-typed messages with arbitrary field values and as arbitrary
// bytes on the wire. Every call is answered (a response or a gRPC status with a message), the
// server stays up, and a valid call afterwards works.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCoordinatorClient, startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { GradientDtype, HeartbeatRequest, RegisterRequest, ReportProgressRequest, SubmitJobRequest } from '@tunefleet/proto';

const TOKEN = 'fuzz-coordinator-token-0123456789abcdef';
let work: string;
let coordinator: RunningCoordinator;
let raw: Client;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tunefleet-fuzz-grpc-'));
  coordinator = await startCoordinator({ port: 0, dbPath: join(work, 'jobs.db'), token: TOKEN, heartbeatTimeoutMs: 60_000, log: () => {} });
  raw = new Client(coordinator.address, credentials.createInsecure());
});
afterAll(async () => {
  raw.close();
  await coordinator.stop();
  await rm(work, { recursive: true, force: true });
});

/** One unary call with `bytes` as the request message; resolves with the status code (OK = 0). */
function call(method: string, bytes: Uint8Array, token: string | null = TOKEN): Promise<{ code: number; details: string }> {
  const metadata = new Metadata();
  if (token !== null) metadata.set('authorization', `Bearer ${token}`);
  return new Promise((done) => {
    raw.makeUnaryRequest(
      `/tunefleet.v1.Coordinator/${method}`,
      (value: Uint8Array) => Buffer.from(value),
      (value: Buffer) => value,
      bytes,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null) => done(error ? { code: error.code, details: error.details } : { code: status.OK, details: '' }),
    );
  });
}

/**
 * Answered: OK, or a status other than UNKNOWN/INTERNAL/UNAVAILABLE/DEADLINE_EXCEEDED (those are a
 * crash, a bug or a hang) with details. One INTERNAL is grpc-js's own answer, before any handler
 * or token check, to bytes that do not decode as the request message; it says so.
 */
function expectAnswered(result: { code: number; details: string }, what: string): void {
  if (result.code === status.INTERNAL && result.details.startsWith('Error deserializing request')) return;
  expect([status.UNKNOWN, status.INTERNAL, status.UNAVAILABLE, status.DEADLINE_EXCEEDED], `${what}: ${status[result.code]} ${result.details}`).not.toContain(result.code);
  if (result.code !== status.OK) expect(result.details.length, `${what}: ${status[result.code]} without details`).toBeGreaterThan(0);
}

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'w0', '127.0.0.1:1', '../../etc', 'sequence-classification', '{}', 'a'.repeat(300)));
// Every integer field of these messages is unsigned on the wire (uint32/uint64): small, large and the extremes.
const int = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1));
const jobSpec = fc.record(
  {
    name: text,
    modelNameOrPath: text,
    task: fc.oneof(text, fc.constantFrom('sequence-classification', 'token-classification')),
    trainFile: text,
    validationFile: text,
    worldSize: int,
    trainingArgumentsJson: fc.oneof(text, fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.constant('{"output_dir":"out"}')),
    gradientDtype: fc.constantFrom(GradientDtype.GRADIENT_DTYPE_F32, GradientDtype.GRADIENT_DTYPE_BF16, 7 as GradientDtype, -1 as GradientDtype),
    collectiveTimeoutMs: int,
    maxSeqLength: int,
    labelColumn: text,
    skipBadRows: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('the coordinator under fuzzed gRPC requests', () => {
  it('typed requests with arbitrary field values: every call is answered, the server stays up', async () => {
    const request = fc.oneof(
      jobSpec.map((spec) => ['SubmitJob', SubmitJobRequest.encode(SubmitJobRequest.fromPartial({ spec })).finish()] as const),
      fc
        .record({ workerId: text, collectiveAddress: text, cpuCount: int, memoryBytes: fc.integer({ min: 0, max: 2 ** 40 }), backend: text }, { requiredKeys: [] })
        .map((r) => ['Register', RegisterRequest.encode(RegisterRequest.fromPartial(r)).finish()] as const),
      fc.record({ workerId: text, ringGeneration: int }, { requiredKeys: [] }).map((r) => ['Heartbeat', HeartbeatRequest.encode(HeartbeatRequest.fromPartial(r)).finish()] as const),
      fc.record({ workerId: text, ringGeneration: int }, { requiredKeys: [] }).map((r) => ['ReportProgress', ReportProgressRequest.encode(ReportProgressRequest.fromPartial(r)).finish()] as const),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([method, bytes]) => expectAnswered(await call(method, bytes), method)),
      { numRuns: 150 },
    );
  }, 60_000);

  it('arbitrary bytes as the request, with and without the token: answered with a status, never a crash', async () => {
    const method = fc.constantFrom('SubmitJob', 'Register', 'Heartbeat', 'ReportProgress', 'GetJob', 'CancelJob', 'Deregister');
    await fc.assert(
      fc.asyncProperty(method, fc.uint8Array({ maxLength: 200 }), fc.boolean(), async (name, bytes, hasToken) => {
        const result = await call(name, bytes, hasToken ? TOKEN : null);
        expectAnswered(result, name);
        const isUndecodable = result.details.startsWith('Error deserializing request');
        if (!hasToken && !isUndecodable) expect(result.code, `${name}: ${status[result.code]} ${result.details}`).toBe(status.UNAUTHENTICATED);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('afterwards a valid call works', async () => {
    const client = createCoordinatorClient(coordinator.address, TOKEN);
    try {
      const job = await client.submitJob({
        name: 'after-the-fuzz',
        modelNameOrPath: join(work, 'model'),
        task: 'sequence-classification',
        trainFile: join(work, 'train.tsv'),
        validationFile: '',
        worldSize: 1,
        trainingArgumentsJson: JSON.stringify({ output_dir: join(work, 'out') }),
        gradientDtype: GradientDtype.GRADIENT_DTYPE_F32,
        collectiveTimeoutMs: 0,
      });
      expect((await client.getJob(job.jobId)).spec?.name).toBe('after-the-fuzz');
    } finally {
      client.close();
    }
  });
});
