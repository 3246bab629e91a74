// Fuzzing the data plane (issue 10): arbitrary bytes as a HELLO, and arbitrary frames after a valid
// HELLO of the assigned left neighbour. Every connection ends with a clear status or a close, the
// listener never crashes, and the ring still sums exactly afterwards.
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcCollectiveEndpoint, derivePairKey, ringAllReduce, type GrpcTransport } from '@tunefleet/comm';
import { CHALLENGE_BYTES, FrameMacs, encodeHello, parseChallenge } from '../../libs/comm/src/data-plane/data-plane-frame.ts';

const TOKEN = 'fuzz-token-0123456789abcdef';
const JOB = 'job-fuzz';
const lines: Array<{ message: string; fields?: Readonly<Record<string, unknown>> }> = [];
const logger = { warn: (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push({ message, ...(fields ? { fields } : {}) }) };

let endpoints: GrpcCollectiveEndpoint[] = [];
let transports: GrpcTransport[] = [];
beforeAll(async () => {
  endpoints = await Promise.all([0, 1].map(() => GrpcCollectiveEndpoint.listen({ token: TOKEN, logger, frameReadTimeoutMs: 300 })));
  transports = endpoints.map((e, rank) => e.join({ jobId: JOB, rank, worldSize: 2, rightAddress: endpoints[(rank + 1) % 2]!.address }));
});
afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
});

/** Sends `bytes` (after a valid HELLO of rank 1 when `isAuthenticated`, sealing nothing) and waits for the listener to end it. */
async function attempt(bytes: Uint8Array, isAuthenticated: boolean, withMac: boolean, port = endpoints[0]!.dataPlanePort): Promise<number | undefined> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  const closed = once(socket, 'close');
  while (received.length < CHALLENGE_BYTES) await once(socket, 'data');
  const nonce = parseChallenge(received.subarray(0, CHALLENGE_BYTES))!;
  if (isAuthenticated) {
    const key = derivePairKey(TOKEN, JOB, 1, 0);
    socket.write(encodeHello({ jobId: JOB, rank: 1, lane: 0 }, key, nonce));
    const frame = Buffer.from(bytes);
    socket.write(withMac && frame.length >= 40 ? Buffer.concat([frame, new FrameMacs(key, nonce, 0).next(frame.subarray(0, 40), frame.subarray(40))]) : frame);
  } else socket.write(bytes);
  // The HELLO deadline is 10 s; a peer that sent too little is dropped by the frame deadline or by us.
  const timer = setTimeout(() => socket.destroy(), 1500);
  await closed;
  clearTimeout(timer);
  const statusAt = isAuthenticated ? CHALLENGE_BYTES + 3 : CHALLENGE_BYTES;
  return received.length > statusAt ? received[statusAt] : undefined;
}

describe('data-plane frames, fuzzed', () => {
  it('arbitrary bytes from a stranger never crash the listener, never reach the ring, and it keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), async (bytes) => {
        const status = await attempt(bytes, false, false);
        expect([undefined, 1], `status ${status}`).toContain(status); // refused unauthenticated, or closed
      }),
      { numRuns: 12 },
    );
    expect(transports[0]!.inbox.isFailed).toBe(false);
    expect(transports[0]!.inbox.deliveredCount).toBe(0);
    const buffers = [new Float32Array([1, 2, 3]), new Float32Array([10, 20, 30])];
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 1000, bucketId: 0, timeoutMs: 10_000 })));
    expect(buffers).toEqual([new Float32Array([11, 22, 33]), new Float32Array([11, 22, 33])]);
    for (const line of lines) expect(typeof line.fields?.['reason']).toBe('string');
  }, 120_000);

  it('arbitrary frames from the authenticated neighbour get a clear status; the endpoint stays up and names the peer if the ring fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), async (bytes, withMac) => {
        const endpoint = await GrpcCollectiveEndpoint.listen({ token: TOKEN, logger, frameReadTimeoutMs: 300 });
        const transport = endpoint.join({ jobId: JOB, rank: 0, worldSize: 2, rightAddress: '127.0.0.1:1' });
        try {
          const status = await attempt(bytes, true, withMac, endpoint.dataPlanePort);
          expect([undefined, 1, 2], `status ${status}`).toContain(status);
          const failure = await transport.inbox
            .take({ step: 0, bucketId: 0, phase: 'all-gather', round: 99, chunkIndex: 0 }, AbortSignal.timeout(50))
            .catch((error: unknown) => error);
          if ((failure as { code?: string }).code === 'PEER_UNAVAILABLE') expect(String((failure as Error).message)).toMatch(/Rank 1 at 127\.0\.0\.1:\d+/);
        } finally {
          await transport.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
