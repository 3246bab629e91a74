import { CommError, InMemoryTransport } from '@tunefleet/comm';
import { describe, expect, it } from 'vitest';
import { RingGradientSync } from './ring-gradient-sync.ts';

function ring(worldSize: number, options: ConstructorParameters<typeof RingGradientSync>[1]): RingGradientSync[] {
  return InMemoryTransport.createRing({ worldSize }).map((t) => new RingGradientSync(t, options));
}

function randomBuffer(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

describe('RingGradientSync', () => {
  it('sums across 3 ranks over several buckets, lengths not divisible by the world size', async () => {
    const syncs = ring(3, { timeoutMs: 5_000, bucketBytes: 4 * 37 });
    for (const length of [1, 5, 100, 257]) {
      const buffers = syncs.map((_, rank) => randomBuffer(length, 7 * rank + length));
      const expected = Float32Array.from({ length }, (_, i) => buffers.reduce((sum, b) => sum + b[i]!, 0));
      await Promise.all(syncs.map((sync, rank) => sync.allReduce(buffers[rank]!)));
      for (const buffer of buffers) buffer.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    }
    expect(syncs[0]!.rank).toBe(0);
    expect(syncs[2]!.worldSize).toBe(3);
    expect(syncs[1]!.stats).toMatchObject({ calls: 4, collectives: 1 + 1 + 3 + 7, bytes: 4 * (1 + 5 + 100 + 257), lastBytes: 4 * 257 });
  });

  it('bf16 compresses the gradients but sends the trailing loss sum and count exactly', async () => {
    const syncs = ring(2, { timeoutMs: 5_000, dtype: 'bf16' });
    const grads = [randomBuffer(64, 1), randomBuffer(64, 2)];
    const buffers = grads.map((g, rank) => Float32Array.from([...g, 1.2345678 + rank, rank === 0 ? 600 : 401]));
    await Promise.all(syncs.map((sync, rank) => sync.allReduce(buffers[rank]!)));
    for (const buffer of buffers) {
      expect(buffer[65]).toBe(1001); // bf16 would round 1001 to 1000
      expect(buffer[64]).toBeCloseTo(3.4691356, 6);
      for (let i = 0; i < 64; i++) expect(Math.abs(buffer[i]! - (grads[0]![i]! + grads[1]![i]!))).toBeLessThan(2e-2);
    }
    expect(buffers[0]).toEqual(buffers[1]); // every rank ends bitwise identical
    expect(buffers[0]!.subarray(0, 64)).not.toEqual(Float32Array.from(grads[0]!.map((v, i) => v + grads[1]![i]!))); // really bf16
  });

  it('fails with COLLECTIVE_TIMEOUT when a rank never joins', async () => {
    const [first] = ring(2, { timeoutMs: 200 });
    const error = await first!.allReduce(new Float32Array(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommError);
    expect((error as CommError).code).toBe('COLLECTIVE_TIMEOUT');
    expect((error as CommError).isRetryable).toBe(true);
  });
});

describe('RingGradientSync.broadcastFromRankZero', () => {
  it("gives every rank rank 0's values exactly, even when gradients travel as bf16", async () => {
    const syncs = ring(3, { timeoutMs: 5_000, dtype: 'bf16' });
    const buffers = syncs.map((_, rank) => randomBuffer(50, rank + 1));
    const expected = Float32Array.from(buffers[0]!);
    await Promise.all(syncs.map((sync, rank) => sync.broadcastFromRankZero(buffers[rank]!)));
    for (const buffer of buffers) expect(buffer).toEqual(expected);
  });
});
