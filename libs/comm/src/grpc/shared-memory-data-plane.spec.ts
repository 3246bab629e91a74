// The same-machine data plane through the transport: chunks by reference into the sender's shared
// memory. libs/comm takes shared memory by injection; here a "machine" is an in-process map of memory
// files (test-support.ts; the local-cluster test covers the whole path between worker processes).
// data-plane/shared-regions.spec.ts checks the lane and listener on their own.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeChunkHeader } from '../data-plane/data-plane-frame.ts';
import { derivePairKey } from '../data-plane/peer-keys.ts';
import { DataPlaneLane } from '../data-plane/data-plane-lane.ts';
import { encodeReference, REGION_HEADER_BYTES } from '../data-plane/shared-regions.ts';
import { ringAllReduce } from '../ring/ring-all-reduce.ts';
import { describeRingConformance } from '../ring/ring-conformance.ts';
import { fakeMachine, recordingLogger } from '../test-support.ts';
import { GrpcCollectiveEndpoint } from './collective-endpoint.ts';
import type { GrpcEndpointOptions } from './grpc-endpoint-options.ts';

const TOKEN = 'test-token-0123456789abcdef';

async function ringWithEndpoints(worldSize: number, perRank: (rank: number) => Partial<GrpcEndpointOptions>) {
  const endpoints = await Promise.all(
    Array.from({ length: worldSize }, (_, rank) => GrpcCollectiveEndpoint.listen({ token: TOKEN, logger: recordingLogger(), ...perRank(rank) })),
  );
  const transports = endpoints.map((endpoint, rank) => endpoint.join({ jobId: 'job-shm', rank, worldSize, rightAddress: endpoints[(rank + 1) % worldSize]!.address }));
  return { endpoints, transports };
}

async function ring(worldSize: number, perRank: (rank: number) => Partial<GrpcEndpointOptions>) {
  return (await ringWithEndpoints(worldSize, perRank)).transports;
}

describeRingConformance(
  'GrpcTransport, shared memory on one machine',
  (worldSize) => {
    const machine = fakeMachine();
    return ring(worldSize, () => ({ sharedMemory: machine }));
  },
  { maxWorldSize: 4, maxLength: 64, propertyRuns: 12 },
);

describe('shared-memory data plane', () => {
  let cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  it('sends chunks of transport-allocated buffers by reference on one machine, with exact sums', async () => {
    const machine = fakeMachine();
    const transports = await ring(3, () => ({ sharedMemory: machine }));
    transports.forEach((t) => cleanup.push(() => t.close()));
    const length = 10_001;
    for (let step = 0; step < 3; step++) {
      const buffers = transports.map((t, rank) => {
        const buffer = t.allocate(length);
        buffer.set(Float32Array.from({ length }, (_, i) => (i % 13) + rank * 100 + step));
        return buffer;
      });
      await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step, bucketId: 0, timeoutMs: 10_000, chunkBytes: 4096 })));
      const expected = Float32Array.from({ length }, (_, i) => 3 * (i % 13) + 300 + 3 * step);
      for (const buffer of buffers) expect(buffer).toEqual(expected);
    }
    // Every chunk after each lane's probe went by reference; nothing as bytes.
    for (const t of transports) {
      expect(t.framesSent.shared).toBe(t.framesSent.dataPlane);
      expect(t.framesSent.zeroBlocks).toBe(0);
    }
    expect(machine.opened.length).toBeGreaterThan(0);
  });

  it('falls back to bytes, with a warning naming the reason, when the neighbour cannot map the memory (another machine)', async () => {
    const loggers = [recordingLogger(), recordingLogger()];
    const machines = [fakeMachine(), fakeMachine()];
    const transports = await ring(2, (rank) => ({ sharedMemory: machines[rank]!, logger: loggers[rank]! }));
    transports.forEach((t) => cleanup.push(() => t.close()));
    const buffers = transports.map((t, rank) => {
      const buffer = t.allocate(5000);
      buffer.fill(rank + 1);
      return buffer;
    });
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 0, bucketId: 0, timeoutMs: 10_000, chunkBytes: 4096 })));
    for (const buffer of buffers) expect(buffer.every((v) => v === 3)).toBe(true);
    for (const [rank, t] of transports.entries()) {
      expect(t.framesSent.shared).toBe(0);
      expect(t.framesSent.dataPlane).toBeGreaterThan(0);
      expect(loggers[rank]!.lines).toContainEqual({
        message: "the right neighbour cannot read this rank's shared memory; its chunks go through the socket",
        fields: { peer: t.rightAddress, reason: expect.stringMatching(/^1: cannot see \/fake\/\d+\/0 \(another machine\)$/) },
      });
    }
  });

  it('rejects a reference outside any accepted region, and keeps serving', async () => {
    const machine = fakeMachine();
    const logger = recordingLogger();
    const { endpoints, transports } = await ringWithEndpoints(2, (rank) => ({ sharedMemory: machine, ...(rank === 1 ? { logger } : {}) }));
    transports.forEach((t) => cleanup.push(() => t.close()));
    const warmUp = transports.map((t) => t.allocate(64).fill(1));
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, warmUp[rank]!, { step: 0, bucketId: 0, timeoutMs: 10_000 })));
    // A left neighbour of rank 1 (rank 0's identity, the job's token) that never probed.
    const rogue = await DataPlaneLane.open({
      host: '127.0.0.1',
      port: endpoints[1]!.dataPlanePort,
      sendKey: derivePairKey(TOKEN, 'job-shm', 0, 1),
      hello: { jobId: 'job-shm', rank: 0, lane: 5 },
      peerRank: 1,
      peerAddress: endpoints[1]!.address,
      connectTimeoutMs: 5000,
      onFailure: () => undefined,
    });
    if ('unreachable' in rogue) throw new Error(rogue.unreachable);
    const never = new AbortController().signal;
    const header = { step: 1, bucketId: 0, phase: 'reduce-scatter' as const, round: 0, chunkIndex: 0, rank: 0 };
    await rogue.writeShared(encodeChunkHeader(header, 'f32', 16, { encoding: 'shared' }), encodeReference(99, REGION_HEADER_BYTES), 1, 0, never).catch(() => undefined);
    await expect(rogue.released(1, 0, never)).rejects.toThrow(/rejected a frame: shared chunk refers to region 99, which was never accepted on this connection/);
    expect(logger.lines.map((line) => line.fields?.['reason'])).toContain('shared chunk refers to region 99, which was never accepted on this connection');
    // The ring still works.
    const buffers = transports.map((t) => t.allocate(64).fill(2));
    await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 2, bucketId: 0, timeoutMs: 10_000 })));
    for (const buffer of buffers) expect(buffer.every((v) => v === 4)).toBe(true);
  });
});
