// Failure 2 of issue 10 (gradient injection), as a test: a process that holds the cluster token, but
// is not the assigned left neighbour, connects to a rank's data plane claiming to be rank 1 and sends
// chunks of NaN for the coming steps. It is refused and logged with its address and the reason, and
// the ring's results are bit-identical to a run without it.
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCollectiveEndpoint, ringAllReduce, ringKeysOf, derivePairKey, type GrpcTransport } from '@tunefleet/comm';

const TOKEN = 'cluster-token-0123456789abcdef';
const JOB = 'job-injection';

function recordingLogger() {
  const lines: Array<{ message: string; fields?: Readonly<Record<string, unknown>> }> = [];
  return { lines, warn: (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push({ message, ...(fields ? { fields } : {}) }) };
}

async function ring(worldSize: number, logger: ReturnType<typeof recordingLogger>): Promise<{ endpoints: GrpcCollectiveEndpoint[]; transports: GrpcTransport[] }> {
  const secret = randomBytes(32); // the coordinator's fresh per-job secret
  const endpoints = await Promise.all(Array.from({ length: worldSize }, () => GrpcCollectiveEndpoint.listen({ token: TOKEN, logger })));
  const transports = endpoints.map((endpoint, rank) =>
    endpoint.join({ jobId: JOB, rank, worldSize, rightAddress: endpoints[(rank + 1) % worldSize]!.address, ...ringKeysOf(secret, JOB, rank, worldSize, 1) }),
  );
  return { endpoints, transports };
}

/** The attacker: the token, the job id, a claim to be rank 1, and every key it could derive without the job's secret. */
async function inject(port: number, step: number): Promise<{ statuses: number[] }> {
  const { encodeHello, FrameMacs, encodeChunkHeader, parseChallenge, CHALLENGE_BYTES } = await import('../../libs/comm/src/data-plane/data-plane-frame.ts');
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  while (received.length < CHALLENGE_BYTES) await once(socket, 'data');
  const nonce = parseChallenge(received.subarray(0, CHALLENGE_BYTES))!;
  const key = derivePairKey(TOKEN, JOB, 1, 0); // what a token holder can derive
  socket.write(encodeHello({ jobId: JOB, rank: 1, lane: 0 }, key, nonce));
  const macs = new FrameMacs(key, nonce, 0);
  const values = new Float32Array(64).fill(Number.NaN);
  const head = encodeChunkHeader({ step, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank: 1 }, 'f32', values.length);
  const payload = Buffer.from(values.buffer);
  socket.write(Buffer.concat([head, payload, macs.next(head, payload)]));
  await once(socket, 'close');
  return { statuses: received.length > CHALLENGE_BYTES ? [received[CHALLENGE_BYTES]!] : [] };
}

describe('gradient injection by a token holder that is not the assigned neighbour', () => {
  let cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  const reduceSteps = async (transports: GrpcTransport[], steps: number): Promise<Float32Array[]> => {
    const buffers = transports.map((_, rank) => Float32Array.from({ length: 64 }, (_, i) => i * 0.25 + rank));
    for (let step = 0; step < steps; step++) {
      await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step, bucketId: 0, timeoutMs: 10_000, chunkBytes: 4096 })));
    }
    return buffers;
  };

  it('is refused, logged with its address and the reason, and the results are identical to a run without it', async () => {
    const cleanLogger = recordingLogger();
    const clean = await ring(2, cleanLogger);
    clean.transports.forEach((t) => cleanup.push(() => t.close()));
    const expected = await reduceSteps(clean.transports, 3);

    const logger = recordingLogger();
    const attacked = await ring(2, logger);
    attacked.transports.forEach((t) => cleanup.push(() => t.close()));
    // Before the ring's first step, chunks of NaN "from rank 1" for steps 0..2 at rank 0's data plane.
    const attempts = await Promise.all([0, 1, 2].map((step) => inject(attacked.endpoints[0]!.dataPlanePort, step)));
    for (const attempt of attempts) expect(attempt.statuses).toEqual([1]); // STATUS unauthenticated, nothing read
    const results = await reduceSteps(attacked.transports, 3);
    expect(results.map((b) => Buffer.from(b.buffer).toString('hex'))).toEqual(expected.map((b) => Buffer.from(b.buffer).toString('hex')));
    expect(results.every((b) => b.every(Number.isFinite))).toBe(true);
    const refusals = logger.lines.filter((l) => l.message === 'refused a data-plane connection');
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) {
      expect(refusal.fields?.['peer']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(refusal.fields?.['reason']).toMatch(/HELLO MAC does not match the key of rank 1 -> this rank: not the assigned left neighbour/);
    }
  });
});
