import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { CollectiveService } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { CommError } from '../comm-error.ts';
import { ringAllReduce } from '../ring/ring-all-reduce.ts';
import { describeRingConformance } from '../ring/ring-conformance.ts';
import { derivePairKey } from '../data-plane/peer-keys.ts';
import { encodeChunkFrame } from '../ring/wire-codec.ts';
import { recordingLogger } from '../test-support.ts';
import { GrpcCollectiveEndpoint } from './collective-endpoint.ts';
import { openExchangeSession, sealFrame } from './exchange-auth.ts';
import type { GrpcEndpointOptions } from './grpc-endpoint-options.ts';
import type { GrpcTransport } from './grpc-transport.ts';

const TOKEN = 'test-token-0123456789abcdef';

async function grpcRing(worldSize: number, perRank: (rank: number) => Partial<GrpcEndpointOptions> = () => ({})): Promise<GrpcTransport[]> {
  const endpoints = await Promise.all(
    Array.from({ length: worldSize }, (_, rank) => GrpcCollectiveEndpoint.listen({ token: TOKEN, logger: recordingLogger(), ...perRank(rank) })),
  );
  return endpoints.map((endpoint, rank) =>
    endpoint.join({ jobId: 'job-grpc', rank, worldSize, rightAddress: endpoints[(rank + 1) % worldSize]!.address }),
  );
}

// Default endpoints: chunk payloads travel over the TCP data plane (tcp-data-plane.spec.ts checks that they do).
describeRingConformance('GrpcTransport', (worldSize) => grpcRing(worldSize), { maxWorldSize: 4, maxLength: 64, propertyRuns: 12 });
describeRingConformance('GrpcTransport, pure gRPC (dataPlane: grpc)', (worldSize) => grpcRing(worldSize, () => ({ dataPlane: 'grpc' })), {
  maxWorldSize: 4,
  maxLength: 64,
  propertyRuns: 12,
});

/** A raw client speaking to an endpoint as a (mis)behaving left neighbour would. */
function rawStream(address: string, metadata: grpc.Metadata, maxSendBytes = 4 << 20) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': maxSendBytes });
  let settle!: (result: { error: grpc.ServiceError | null }) => void;
  const result = new Promise<{ error: grpc.ServiceError | null }>((resolve) => (settle = resolve));
  const call = client.makeClientStreamRequest<Buffer, unknown>(
    CollectiveService.exchange.path,
    (b: Buffer) => b,
    (b: Buffer) => b,
    metadata,
    (error) => settle({ error }),
  );
  return { client, call, result };
}

function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Metadata and frame sealing of rank 1 sending to rank 0 of job-grpc (keys derived from the token, as a ring joined without keys does). */
function asRank1(): { metadata: grpc.Metadata; seal: (frame: Uint8Array) => Buffer } {
  const session = openExchangeSession(derivePairKey(TOKEN, 'job-grpc', 1, 0), 'job-grpc', 1);
  const metadata = bearer(TOKEN);
  for (const [key, value] of session.metadata) metadata.set(key, value);
  return { metadata, seal: (frame) => sealFrame(frame, session.macs) };
}

describe('GrpcTransport', () => {
  let cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });
  const track = <T extends { close(): Promise<void> | void }>(item: T): T => {
    cleanup.push(() => item.close());
    return item;
  };

  it('binds 127.0.0.1 on an ephemeral port and raises the HTTP/2 flow-control window', async () => {
    const endpoint = track(await GrpcCollectiveEndpoint.listen({ token: TOKEN }));
    expect(endpoint.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(endpoint.address.endsWith(':0')).toBe(false);
    // Fails when a grpc-js upgrade moves the private field the tuning relies on.
    expect(endpoint.isFlowControlTuned).toBe(true);
  });

  it('refuses short tokens and chunk limits outside 256 KiB..4 MiB', async () => {
    await expect(GrpcCollectiveEndpoint.listen({ token: 'short' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(GrpcCollectiveEndpoint.listen({ token: TOKEN, maxChunkBytes: 1024 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('answers a call without a token or with a wrong one UNAUTHENTICATED, logs it, and delivers nothing', async () => {
    const logger = recordingLogger();
    const endpoint = track(await GrpcCollectiveEndpoint.listen({ token: TOKEN, logger }));
    const transport = endpoint.join({ jobId: 'j', rank: 1, worldSize: 2, rightAddress: '127.0.0.1:1' });
    const frame = encodeChunkFrame({ jobId: 'j', step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank: 0 }, new Float32Array(4), 'f32');
    for (const metadata of [new grpc.Metadata(), bearer('wrong-token-0123456789abcdef')]) {
      const raw = rawStream(endpoint.address, metadata);
      cleanup.push(() => raw.client.close());
      raw.call.write(frame);
      raw.call.end();
      const { error } = await raw.result;
      expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(error?.details).toBe('unauthenticated');
    }
    expect(transport.inbox.deliveredCount).toBe(0);
    expect(logger.lines.map((l) => l.fields?.reason)).toEqual(['no authorization metadata', 'wrong bearer token']);
  });

  it('fails the sending rank with UNAUTHENTICATED when ranks hold different tokens', async () => {
    const transports = await grpcRing(2, (rank) => ({ token: rank === 0 ? TOKEN : 'another-token-0123456789abcdef' }));
    transports.forEach(track);
    const results = await Promise.allSettled(
      transports.map((t) => ringAllReduce(t, new Float32Array(16), { step: 0, bucketId: 0, timeoutMs: 5000 })),
    );
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as CommError).code : 'ok'));
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(transports.map((t) => t.inbox.deliveredCount)).toEqual([0, 0]);
  });

  it('rejects oversized and malformed frames with a clear status and keeps serving', async () => {
    const logger = recordingLogger();
    const transports = await grpcRing(2, () => ({ logger, maxChunkBytes: 256 * 1024 }));
    transports.forEach(track);
    const address = (transports[0]!.rank === 0 ? transports[1]! : transports[0]!).rightAddress; // rank 0's server
    const unproven = rawStream(address, bearer(TOKEN));
    cleanup.push(() => unproven.client.close());
    unproven.call.write(Buffer.alloc(8));
    unproven.call.end();
    expect((await unproven.result).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(logger.lines.find((l) => l.message === 'refused a Collective.Exchange call')?.fields?.reason).toMatch(/no rank proof/);

    const oversized = rawStream(address, asRank1().metadata, 8 << 20);
    cleanup.push(() => oversized.client.close());
    oversized.call.write(Buffer.alloc(1 << 20));
    oversized.call.end();
    expect((await oversized.result).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

    const rank1 = asRank1();
    const malformed = rawStream(address, rank1.metadata);
    cleanup.push(() => malformed.client.close());
    malformed.call.write(rank1.seal(Buffer.from([0x0a, 0x05, 0x01])));
    malformed.call.end();
    const { error } = await malformed.result;
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/overruns the frame/);

    const impostorAuth = asRank1();
    const impostor = rawStream(address, impostorAuth.metadata);
    cleanup.push(() => impostor.client.close());
    impostor.call.write(impostorAuth.seal(encodeChunkFrame({ jobId: 'job-grpc', step: 0, bucketId: 0, phase: 'reduce-scatter', round: 0, chunkIndex: 0, rank: 0 }, new Float32Array(2), 'f32')));
    impostor.call.end();
    expect((await impostor.result).error?.details).toMatch(/frame from rank 0, but only the left neighbour \(rank 1\)/);

    // The server is still up and the ring still works.
    const buffers = [new Float32Array([1, 2, 3]), new Float32Array([10, 20, 30])];
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 1, bucketId: 0, timeoutMs: 5000 })));
    expect(buffers).toEqual([new Float32Array([11, 22, 33]), new Float32Array([11, 22, 33])]);
    expect(logger.lines.filter((l) => l.message === 'rejected a collective frame')).toHaveLength(2);
  });

  it('runs over mutual TLS when certificates are given, and a plaintext peer cannot join', async () => {
    const dir = new URL('../testdata/', import.meta.url);
    const tls = {
      rootCert: readFileSync(new URL('ca.crt', dir)),
      certChain: readFileSync(new URL('worker.crt', dir)),
      privateKey: readFileSync(new URL('worker.key', dir)),
    };
    const transports = await grpcRing(2, () => ({ tls }));
    transports.forEach(track);
    const buffers = [new Float32Array([1, -1]), new Float32Array([2, 5])];
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 0, bucketId: 0, timeoutMs: 10_000 })));
    expect(buffers).toEqual([new Float32Array([3, 4]), new Float32Array([3, 4])]);

    const plaintext = rawStream(transports[1]!.rightAddress, bearer(TOKEN));
    cleanup.push(() => plaintext.client.close());
    plaintext.call.write(Buffer.alloc(8));
    plaintext.call.end();
    expect((await plaintext.result).error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('fails fast with PEER_UNAVAILABLE when the right neighbour is gone', async () => {
    const transports = await grpcRing(2);
    transports.forEach(track);
    await transports[1]!.close();
    const started = Date.now();
    const error = await ringAllReduce(transports[0]!, new Float32Array(8), { step: 0, bucketId: 0, timeoutMs: 8000 }).catch((e) => e);
    expect(error).toBeInstanceOf(CommError);
    expect(error.code).toBe('PEER_UNAVAILABLE');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/^Rank 1 at 127\.0\.0\.1:\d+ is unavailable/);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
