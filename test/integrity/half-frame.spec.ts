// Failure 9 of issue 10: a data-plane peer that sent half a frame was held 40 s and more, and the
// refusal named neither the peer nor the reason. Real endpoints on 127.0.0.1:0 with the job's
// per-pair keys: the authenticated left neighbour sends half a frame and stops; a stranger sends
// half a HELLO and stops. Each is refused within its read deadline (plus 5 s), logged with its
// address and the reason, and the collective waiting on the neighbour fails naming it.
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcCollectiveEndpoint, ringKeysOf, type GrpcTransport } from '@tunefleet/comm';
import { CHALLENGE_BYTES, encodeChunkHeader, encodeHello, parseChallenge } from '../../libs/comm/src/data-plane/data-plane-frame.ts';

const TOKEN = 'half-frame-token-0123456789abcdef';
const JOB = 'job-half-frame';
const FRAME_READ_TIMEOUT_MS = 1_000;
const HELLO_TIMEOUT_MS = 10_000; // the listener's fixed HELLO deadline
const SLACK_MS = 5_000;

type Line = { message: string; fields?: Readonly<Record<string, unknown>> };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Rank 0 of a 2-rank ring (its right neighbour never exists: this test only receives). */
async function rankZero(secret: Buffer): Promise<{ endpoint: GrpcCollectiveEndpoint; transport: GrpcTransport; lines: Line[] }> {
  const lines: Line[] = [];
  const logger = { warn: (message: string, fields?: Readonly<Record<string, unknown>>) => void lines.push({ message, ...(fields ? { fields } : {}) }) };
  const endpoint = await GrpcCollectiveEndpoint.listen({ token: TOKEN, logger, frameReadTimeoutMs: FRAME_READ_TIMEOUT_MS });
  const transport = endpoint.join({ jobId: JOB, rank: 0, worldSize: 2, rightAddress: '127.0.0.1:1', ...ringKeysOf(secret, JOB, 0, 2, 1) });
  cleanup.push(() => transport.close());
  return { endpoint, transport, lines };
}

async function connect(port: number): Promise<{ socket: net.Socket; nonce: Buffer; received: () => Buffer; localPort: number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  cleanup.push(async () => void socket.destroy());
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  await once(socket, 'connect');
  while (received.length < CHALLENGE_BYTES) await once(socket, 'data');
  return { socket, nonce: parseChallenge(received.subarray(0, CHALLENGE_BYTES))!, received: () => received, localPort: socket.localPort! };
}

describe('half a frame on the data plane', () => {
  it('from the authenticated left neighbour: refused within frame_read_timeout, the waiting collective fails naming rank 1 and its address', async () => {
    const secret = randomBytes(32);
    const { endpoint, transport, lines } = await rankZero(secret);
    const peer = await connect(endpoint.dataPlanePort);
    const { sendKey } = ringKeysOf(secret, JOB, 1, 2, 1); // rank 1's key to rank 0: the real neighbour
    peer.socket.write(encodeHello({ jobId: JOB, rank: 1, lane: 0 }, sendKey, peer.nonce));
    while (peer.received().length < CHALLENGE_BYTES + 1) await once(peer.socket, 'data');
    expect(peer.received()[CHALLENGE_BYTES]).toBe(0); // STATUS ok: authenticated

    const waiting = transport.inbox
      .take({ step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0 }, AbortSignal.timeout(60_000))
      .then((): Error & { code?: string } => new Error('a chunk arrived'), (error: unknown) => error as Error & { code?: string });
    const header = encodeChunkHeader({ step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank: 1 }, 'f32', 64);
    const sentAt = Date.now();
    peer.socket.write(header.subarray(0, Math.floor(header.length / 2))); // half a header, then nothing

    const failure = await waiting;
    const elapsedMs = Date.now() - sentAt;
    expect(failure.code).toBe('PEER_UNAVAILABLE');
    expect(failure.message).toMatch(new RegExp(`Rank 1 at 127\\.0\\.0\\.1:${peer.localPort}.*sent part of a frame .* and nothing more for ${FRAME_READ_TIMEOUT_MS} ms`, 's'));
    expect(elapsedMs).toBeGreaterThanOrEqual(FRAME_READ_TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(FRAME_READ_TIMEOUT_MS + SLACK_MS);
    const refusal = lines.find((line) => line.message === 'refused a data-plane connection');
    expect(refusal?.fields).toMatchObject({ peer: `127.0.0.1:${peer.localPort}` });
    expect(String(refusal?.fields?.['reason'])).toMatch(/sent part of a frame \(.*\) and nothing more for 1000 ms/);
    if (!peer.socket.destroyed) await once(peer.socket, 'close'); // and the connection is closed
  }, 30_000);

  it('half a HELLO from a stranger: refused within the HELLO deadline, logged with its address and the reason', async () => {
    const { endpoint, lines } = await rankZero(randomBytes(32));
    const peer = await connect(endpoint.dataPlanePort);
    const sentAt = Date.now();
    peer.socket.write(Buffer.from('TFDP', 'latin1').subarray(0, 3));
    await once(peer.socket, 'close');
    const elapsedMs = Date.now() - sentAt;
    expect(elapsedMs).toBeLessThan(HELLO_TIMEOUT_MS + SLACK_MS);
    expect(peer.received()[CHALLENGE_BYTES]).toBe(1); // STATUS unauthenticated
    const refusal = lines.find((line) => line.message === 'refused a data-plane connection');
    expect(refusal?.fields).toMatchObject({ peer: `127.0.0.1:${peer.localPort}` });
    expect(String(refusal?.fields?.['reason'])).toMatch(/no complete HELLO within 10000 ms/);
  }, 30_000);
});
