import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CHALLENGE_BYTES, encodeBareHeader, encodeChunkHeader, encodeHello, FrameKind, FrameMacs, parseChallenge } from '../data-plane/data-plane-frame.ts';
import { derivePairKey } from '../data-plane/peer-keys.ts';
import { ringAllReduce } from '../ring/ring-all-reduce.ts';
import { describeRingConformance } from '../ring/ring-conformance.ts';
import { recordingLogger } from '../test-support.ts';
import { GrpcCollectiveEndpoint } from './collective-endpoint.ts';
import type { GrpcEndpointOptions } from './grpc-endpoint-options.ts';
import type { GrpcTransport } from './grpc-transport.ts';

const TOKEN = 'test-token-0123456789abcdef';
const tlsDir = new URL('../testdata/', import.meta.url);
const TLS = {
  rootCert: readFileSync(new URL('ca.crt', tlsDir)),
  certChain: readFileSync(new URL('worker.crt', tlsDir)),
  privateKey: readFileSync(new URL('worker.key', tlsDir)),
};

async function ring(worldSize: number, perRank: (rank: number) => Partial<GrpcEndpointOptions> = () => ({})) {
  const endpoints = await Promise.all(
    Array.from({ length: worldSize }, (_, rank) => GrpcCollectiveEndpoint.listen({ token: TOKEN, logger: recordingLogger(), ...perRank(rank) })),
  );
  const transports = endpoints.map((endpoint, rank) =>
    endpoint.join({ jobId: 'job-dp', rank, worldSize, rightAddress: endpoints[(rank + 1) % worldSize]!.address }),
  );
  return { endpoints, transports };
}

describeRingConformance('GrpcTransport, TCP data plane over mutual TLS', async (worldSize) => (await ring(worldSize, () => ({ tls: TLS }))).transports, {
  maxWorldSize: 3,
  maxLength: 40,
  propertyRuns: 4,
});

/** A raw client of a data-plane port, as a (mis)behaving left neighbour would be. */
class RawPeer {
  readonly socket: net.Socket;
  private received: Buffer = Buffer.alloc(0);
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (data: Buffer) => (this.received = Buffer.concat([this.received, data])));
    this.socket.on('error', () => undefined);
    this.closed = once(this.socket, 'close').then(() => undefined);
  }

  async challenge(): Promise<Buffer> {
    while (this.received.length < CHALLENGE_BYTES) await once(this.socket, 'data');
    return parseChallenge(this.received.subarray(0, CHALLENGE_BYTES))!;
  }

  /** Status messages (code, message) the listener sent after its CHALLENGE. */
  statuses(): Array<{ code: number; message: string }> {
    const out: Array<{ code: number; message: string }> = [];
    let at = CHALLENGE_BYTES;
    while (at + 3 <= this.received.length) {
      const length = this.received.readUInt16LE(at + 1);
      out.push({ code: this.received[at]!, message: this.received.toString('utf8', at + 3, at + 3 + length) });
      at += 3 + length;
    }
    return out;
  }

  private macs: FrameMacs | undefined;

  /** HELLO as `rank` with the pair key of (rank -> receiver), derived as a ring joined without keys derives it. */
  async hello(token: string, rank: number, receiver: number, jobId = 'job-dp'): Promise<void> {
    const key = derivePairKey(token, jobId, rank, receiver);
    const nonce = await this.challenge();
    this.macs = new FrameMacs(key, nonce, 0);
    this.socket.write(encodeHello({ jobId, rank, lane: 0 }, key, nonce));
  }

  /** A frame (header + payload) with its MAC, as the lane sends it. */
  sealed(frame: Buffer): Buffer {
    return Buffer.concat([frame, this.macs!.next(frame.subarray(0, 40), frame.subarray(40))]);
  }
}

function chunkFrame(rank: number, values: Float32Array): Buffer {
  const head = encodeChunkHeader({ step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank }, 'f32', values.length);
  return Buffer.concat([head, Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

describe('TCP data plane', () => {
  let cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });
  const tracked = async (worldSize: number, perRank?: (rank: number) => Partial<GrpcEndpointOptions>) => {
    const made = await ring(worldSize, perRank);
    made.transports.forEach((t) => cleanup.push(() => t.close()));
    return made;
  };
  const reduce = async (transports: GrpcTransport[], length: number, step = 0): Promise<Float32Array[]> => {
    const buffers = transports.map((_, rank) => Float32Array.from({ length }, (_, i) => (i % 13) + rank * 100));
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step, bucketId: 0, timeoutMs: 10_000, chunkBytes: 4096 })));
    return buffers;
  };
  const expectedSum = (worldSize: number, length: number): Float32Array =>
    Float32Array.from({ length }, (_, i) => worldSize * (i % 13) + (100 * worldSize * (worldSize - 1)) / 2);

  it('carries every chunk over raw TCP, read by the kernel straight into payload buffers', async () => {
    const { endpoints, transports } = await tracked(3);
    const buffers = await reduce(transports, 10_001);
    for (const buffer of buffers) expect(buffer).toEqual(expectedSum(3, 10_001));
    for (const t of transports) expect(t.framesSent).toEqual({ dataPlane: 2 * 2 * Math.ceil(3334 / 1024), grpc: 0, zeroBlocks: 0, shared: 0 });
    for (const endpoint of endpoints) {
      expect(endpoint.dataPlanePort).toBeGreaterThan(0);
      // Fails when a Node upgrade moves the private handle the in-place reads rely on.
      expect(endpoint.dataPlaneStats).toEqual({ accepted: 2, readInPlace: 2 });
    }
  });

  it('sends chunks that are mostly zero blocks (an embedding gradient) as their non-zero blocks, summing exactly', async () => {
    const { transports } = await tracked(2);
    const length = 300_000;
    // Each rank touches a few "rows" of 256 floats, some shared; -0 and NaN travel too.
    const rowsOf = [[3, 40, 41, 900], [40, 512, 1000]];
    const inputs = rowsOf.map((rows, rank) => {
      const values = new Float32Array(length);
      for (const row of rows) for (let i = 0; i < 256; i++) values[row * 256 + i] = (i % 7) - 3 + rank * 0.5;
      return values;
    });
    inputs[0]![5] = -0; // -0 + -0 = -0: its block is not skipped, or the sum would read +0
    inputs[1]![5] = -0;
    inputs[1]![1000 * 256 + 9] = Number.NaN;
    const buffers = inputs.map((v) => v.slice());
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 0, bucketId: 0, timeoutMs: 10_000 })));
    const expected = Float32Array.from(inputs[0]!, (v, i) => v + inputs[1]![i]!);
    for (const buffer of buffers) {
      expect(buffer).toEqual(expected);
      expect(Buffer.from(buffer.buffer).equals(Buffer.from(buffers[0]!.buffer))).toBe(true); // bitwise, -0 included
    }
    expect(Object.is(buffers[1]![5], -0)).toBe(true);
    for (const t of transports) expect(t.framesSent.zeroBlocks).toBeGreaterThan(0);
  });

  it('with zeroBlocks: false sends the same chunks dense', async () => {
    const { transports } = await tracked(2, () => ({ zeroBlocks: false }));
    const buffers = transports.map(() => new Float32Array(100_000));
    buffers[0]![7] = 1;
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 0, bucketId: 0, timeoutMs: 10_000 })));
    for (const buffer of buffers) expect(buffer[7]).toBe(1);
    for (const t of transports) expect(t.framesSent.zeroBlocks).toBe(0);
  });

  it("with dataPlane: 'grpc' sends over Collective.Exchange only, and a TCP rank falls back to gRPC towards it", async () => {
    const { endpoints, transports } = await tracked(2, (rank) => ({ dataPlane: rank === 0 ? 'grpc' : 'tcp' }));
    const buffers = await reduce(transports, 777);
    for (const buffer of buffers) expect(buffer).toEqual(expectedSum(2, 777));
    expect(endpoints[0]!.dataPlanePort).toBe(0);
    expect(transports.map((t) => t.framesSent.dataPlane)).toEqual([0, 0]);
    expect(transports.every((t) => t.framesSent.grpc > 0)).toBe(true);
  });

  it('falls back to gRPC, with a warning, when the offered data-plane port cannot be reached', async () => {
    const logger = recordingLogger();
    const { endpoints, transports } = await tracked(2, () => ({ logger }));
    await endpoints[1]!.closeDataPlane();
    const buffers = await reduce(transports, 100);
    for (const buffer of buffers) expect(buffer).toEqual(expectedSum(2, 100));
    expect(transports[0]!.framesSent.dataPlane).toBe(0);
    expect(transports[1]!.framesSent.dataPlane).toBeGreaterThan(0);
    expect(logger.lines.some((l) => l.message.startsWith('data plane of the right neighbour is unreachable'))).toBe(true);
  });

  it('refuses a wrong token or a missing HELLO, logs it, and reads nothing the peer sent', async () => {
    const logger = recordingLogger();
    const endpoint = await GrpcCollectiveEndpoint.listen({ token: TOKEN, logger });
    const transport = endpoint.join({ jobId: 'job-dp', rank: 1, worldSize: 2, rightAddress: '127.0.0.1:1' });
    cleanup.push(() => transport.close());

    const wrongToken = new RawPeer(endpoint.dataPlanePort);
    await wrongToken.hello('wrong-token-0123456789abcdef', 0, 1);
    wrongToken.socket.write(chunkFrame(0, new Float32Array([1, 2])));
    await wrongToken.closed;
    expect(wrongToken.statuses()).toEqual([{ code: 1, message: 'unauthenticated' }]);

    const noHello = new RawPeer(endpoint.dataPlanePort);
    await noHello.challenge();
    noHello.socket.write(chunkFrame(0, new Float32Array([1, 2])));
    await noHello.closed;
    expect(noHello.statuses()).toEqual([{ code: 1, message: 'unauthenticated' }]);

    expect(transport.inbox.deliveredCount).toBe(0);
    expect(transport.inbox.isFailed).toBe(false);
    expect(logger.lines.map((l) => [l.message, l.fields?.reason])).toEqual([
      ['refused a data-plane connection', expect.stringMatching(/^HELLO MAC does not match the key of rank 0 -> this rank/)],
      ['refused a data-plane connection', 'malformed HELLO: no data-plane HELLO (bad magic)'],
    ]);
  });

  it('rejects oversized, malformed and impostor frames with a clear status and keeps serving', async () => {
    const logger = recordingLogger();
    const { endpoints, transports } = await tracked(2, () => ({ logger, maxChunkBytes: 256 * 1024 }));
    const port = endpoints[0]!.dataPlanePort; // rank 0 receives from rank 1
    const send = async (bytes: Buffer, isSealed = false): Promise<Array<{ code: number; message: string }>> => {
      const peer = new RawPeer(port);
      await peer.hello(TOKEN, 1, 0);
      peer.socket.write(isSealed ? peer.sealed(bytes) : bytes);
      await peer.closed;
      return peer.statuses();
    };
    const oversized = encodeChunkHeader({ step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank: 1 }, 'f32', 1 << 20);
    const [okOversized, rejectedOversized] = await send(Buffer.concat([oversized, Buffer.alloc(1024)]));
    expect(okOversized).toEqual({ code: 0, message: '' });
    expect(rejectedOversized!.code).toBe(2);
    expect(rejectedOversized!.message).toMatch(/4194304 bytes\) exceeds this rank's limit of 262144 bytes/);

    const badKind = encodeBareHeader(FrameKind.Encoded, 0);
    badKind[0] = 9;
    expect((await send(badKind))[1]!.message).toMatch(/kind 9, expected 1 \(chunk\)/);
    expect((await send(Buffer.alloc(40)))[1]!.message).toMatch(/sync word missing/);
    expect((await send(chunkFrame(0, new Float32Array(2)), true))[1]!.message).toMatch(/frame from rank 0, but only the left neighbour \(rank 1\)/);

    const buffers = await reduce(transports, 64, 1);
    for (const buffer of buffers) expect(buffer).toEqual(expectedSum(2, 64));
    expect(logger.lines.filter((l) => l.message === 'rejected a collective frame')).toHaveLength(4);
  });

  it('fails a waiting collective with PEER_UNAVAILABLE when the left neighbour drops its connection mid-collective', async () => {
    const endpoint = await GrpcCollectiveEndpoint.listen({ token: TOKEN, logger: recordingLogger() });
    const transport = endpoint.join({ jobId: 'job-dp', rank: 1, worldSize: 2, rightAddress: '127.0.0.1:1' });
    cleanup.push(() => transport.close());
    const waiting = transport.inbox.take({ step: 0, bucketId: 0, phase: 'all-gather', round: 0, chunkIndex: 0 }, new AbortController().signal);
    const peer = new RawPeer(endpoint.dataPlanePort);
    await peer.hello(TOKEN, 0, 1);
    peer.socket.write(peer.sealed(chunkFrame(0, new Float32Array([1, 2, 3]))));
    while (transport.inbox.deliveredCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    peer.socket.destroy();
    await expect(waiting).rejects.toMatchObject({ code: 'PEER_UNAVAILABLE', message: expect.stringMatching(/data-plane connection to this rank broke mid-collective/) });
  });

  it('under TLS copies from the socket instead, and a plaintext peer gets no CHALLENGE', async () => {
    const logger = recordingLogger();
    const { endpoints, transports } = await tracked(2, () => ({ tls: TLS, logger }));
    const buffers = await reduce(transports, 5000);
    for (const buffer of buffers) expect(buffer).toEqual(expectedSum(2, 5000));
    expect(transports.every((t) => t.framesSent.dataPlane > 0 && t.framesSent.grpc === 0)).toBe(true);
    expect(endpoints[0]!.dataPlaneStats).toEqual({ accepted: 2, readInPlace: 0 });

    const plaintext = new RawPeer(endpoints[0]!.dataPlanePort);
    plaintext.socket.write(chunkFrame(1, new Float32Array(4)));
    await plaintext.closed;
    expect(plaintext.statuses()).toEqual([]);
    expect(transports[0]!.inbox.deliveredCount).toBeGreaterThan(0); // the ring's own frames only
    expect(logger.lines.some((l) => l.message === 'refused a data-plane connection' && String(l.fields?.reason).startsWith('TLS handshake failed'))).toBe(true);
  });
});
