// The same-machine data plane between one DataPlaneLane and one DataPlaneListener (no gRPC): the
// receiver reads the sender's shared memory in place. A "machine" is an in-process map of memory files
// (test-support.ts); grpc/shared-memory-data-plane.spec.ts runs the same path through the transport.
import { afterEach, describe, expect, it } from 'vitest';
import { Mailbox } from '../ring/mailbox.ts';
import { fakeMachine, recordingLogger } from '../test-support.ts';
import { encodeChunkHeader } from './data-plane-frame.ts';
import { DataPlaneLane } from './data-plane-lane.ts';
import { DataPlaneListener } from './data-plane-listener.ts';
import { derivePairKey } from './peer-keys.ts';
import { encodeReference, REGION_HEADER_BYTES, SharedRegions } from './shared-regions.ts';

const KEY = derivePairKey('test-secret', 'job-shm', 0, 1);

describe('shared-memory data plane', () => {
  let cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });

  it('lets the receiver read the sender\'s memory in place, and holds the sender until it has released the chunk', async () => {
    const machine = fakeMachine();
    const mailbox = new Mailbox({ jobId: 'job-shm', leftRank: 0, maxPayloadBytes: 1 << 20 });
    const listener = await DataPlaneListener.listen({ host: '127.0.0.1', maxPayloadBytes: 1 << 20, logger: recordingLogger(), joined: async () => ({ inbox: mailbox, expected: { jobId: 'job-shm', rank: 0, receiveKey: KEY } }), sharedMemory: machine });
    cleanup.push(() => listener.close());
    const lane = await DataPlaneLane.open({
      host: '127.0.0.1',
      port: listener.port,
      sendKey: KEY,
      hello: { jobId: 'job-shm', rank: 0, lane: 0 },
      peerRank: 1,
      peerAddress: `127.0.0.1:${listener.port}`,
      connectTimeoutMs: 5000,
      onFailure: () => undefined,
    });
    if ('unreachable' in lane) throw new Error(lane.unreachable);
    cleanup.push(() => lane.close());
    const regions = new SharedRegions(machine);
    const values = regions.allocate(1000).fill(2);
    const where = regions.locate(values.subarray(100, 200))!;
    expect(where.byteOffset).toBe(REGION_HEADER_BYTES + 400);
    const never = new AbortController().signal;
    expect(await lane.shared(where.region, never)).toBe(true);
    const header = { step: 7, bucketId: 1, phase: 'reduce-scatter' as const, round: 0, chunkIndex: 0, rank: 0 };
    await lane.writeShared(encodeChunkHeader(header, 'f32', 100, { encoding: 'shared' }), encodeReference(where.region.id, where.byteOffset), 7, 1, never);
    let isReleased = false;
    const released = lane.released(7, 1, never).then(() => (isReleased = true));
    const chunk = await mailbox.take({ step: 7, bucketId: 1, phase: 'reduce-scatter', round: 0, chunkIndex: 0 }, never);
    const view = new Float32Array(chunk.payload.buffer, chunk.payload.byteOffset, chunk.elementCount);
    expect(view.every((v) => v === 2)).toBe(true);
    values[100] = 5; // the sender's memory, seen through the receiver's view: no copy was made
    expect(view[0]).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isReleased).toBe(false);
    chunk.release!();
    await released;
    expect(isReleased).toBe(true);
  });
});
