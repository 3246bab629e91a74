import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.ts';
import { EncodedDataset } from './encoded-dataset.ts';
import { batchIndicesForEpoch } from './epoch-batches.ts';
import { globalMicroBatchesPerEpoch, shardedBatchIndices, ShardedBatchSource } from './sharded-batch-source.ts';

/** Example i is the row [i + 1000] with label i, so a batch names the examples it holds. */
function idDataset(size: number): EncodedDataset {
  const ids = Array.from({ length: size }, (_, i) => [i + 1000, 7, 7].slice(0, 1 + (i % 3)));
  return new EncodedDataset(
    { inputIds: ids, attentionMask: ids.map((r) => r.map(() => 1)), tokenTypeIds: ids.map((r) => r.map(() => 0)), labels: ids.map((_, i) => i) },
    0,
  );
}

describe('shardedBatchIndices', () => {
  it('W ranks read exactly the global micro-batches of one rank with batch B*W, in rank order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        (size, batchSize, worldSize, epoch, shuffle, dropLast) => {
          const options = { shuffle, seed: 17, epoch, dropLast };
          const single = batchIndicesForEpoch(size, batchSize * worldSize, options);
          const perRank = Array.from({ length: worldSize }, (_, rank) => shardedBatchIndices(size, batchSize, { rank, worldSize }, options));
          for (const slices of perRank) expect(slices).toHaveLength(single.length); // every rank joins every step
          expect(globalMicroBatchesPerEpoch(size, batchSize, worldSize, dropLast)).toBe(single.length);
          single.forEach((global, j) => {
            const joined = perRank.flatMap((slices) => [...slices[j]!]);
            expect(joined).toEqual([...global]);
            const sizes = perRank.map((slices) => slices[j]!.length);
            expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
            if (global.length === batchSize * worldSize) expect(sizes.every((n) => n === batchSize)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a rank outside the world and a non-positive batch size', () => {
    const options = { shuffle: false, seed: 0, epoch: 0 };
    expect(() => shardedBatchIndices(10, 2, { rank: 3, worldSize: 3 }, options)).toThrow(/rank must be an integer in \[0, 2\], got 3/);
    expect(() => shardedBatchIndices(10, 0, { rank: 0, worldSize: 3 }, options)).toThrow(DataError);
  });
});

describe('ShardedBatchSource', () => {
  it('uses every example of each epoch exactly once across 3 ranks (by sample id), with an empty slice at the end', () => {
    const size = 29; // 29 = 4 global micro-batches of 3 x 2, then 5 left over: slices 1, 2, 2
    const dataset = idDataset(size);
    const sources = [0, 1, 2].map((rank) => new ShardedBatchSource(dataset, { rank, worldSize: 3 }));
    expect(sources.map((s) => s.size)).toEqual([9, 10, 10]);
    for (const epoch of [0, 1]) {
      const seen = sources.map((source) =>
        [...source.batches({ epoch, batchSize: 4, shuffle: true, seed: 5 })].map((batch) => [...(batch.labels ?? [])]),
      );
      // 29 / 12 -> 3 micro-batches: 12, 12, 5 (split 1, 2, 2)
      expect(seen.map((batches) => batches.map((b) => b.length))).toEqual([
        [4, 4, 1],
        [4, 4, 2],
        [4, 4, 2],
      ]);
      const ids = seen.flat(2).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: size }, (_, i) => i));
    }
    const tiny = [0, 1, 2].map((rank) => [...new ShardedBatchSource(idDataset(2), { rank, worldSize: 3 }).batches({ epoch: 0, batchSize: 4, shuffle: false, seed: 0 })]);
    expect(tiny.map((batches) => batches.map((b) => b.batchSize))).toEqual([[0], [1], [1]]);
    expect(tiny[0]![0]!.labels).toEqual(new Int32Array(0));
    expect(tiny[1]![0]!.inputIds).toEqual(Int32Array.from([1000]));
  });

  it('shuffles differently per epoch and identically per (seed, epoch)', () => {
    const source = new ShardedBatchSource(idDataset(40), { rank: 1, worldSize: 2 });
    const labels = (epoch: number, seed: number) =>
      [...source.batches({ epoch, seed, batchSize: 5, shuffle: true })].flatMap((b) => [...(b.labels ?? [])]);
    expect(labels(0, 1)).toEqual(labels(0, 1));
    expect(labels(1, 1)).not.toEqual(labels(0, 1));
    expect(labels(0, 2)).not.toEqual(labels(0, 1));
  });

  it('reports the same number of micro-batches per epoch on every rank, honouring dropLast', () => {
    const dataset = idDataset(29);
    for (const rank of [0, 1, 2]) {
      const source = new ShardedBatchSource(dataset, { rank, worldSize: 3 });
      expect(source.batchesPerEpoch(4, false)).toBe(3);
      expect(source.batchesPerEpoch(4, true)).toBe(2);
      expect([...source.batches({ epoch: 0, batchSize: 4, shuffle: true, seed: 1, dropLast: true })]).toHaveLength(2);
    }
  });
});
