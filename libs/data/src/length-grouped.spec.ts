import { describe, expect, it } from 'vitest';
import { batchIndicesForEpoch, epochOrder, lengthGroupedOrder } from './epoch-batches.ts';
import { shardedBatchIndices } from './sharded-batch-source.ts';

const lengths = [5, 9, 3, 9, 12, 4, 7, 7, 2, 30, 6, 8, 1, 5, 11, 9, 3, 10, 6, 2, 8, 4, 7, 5, 9];
const order = Int32Array.from([13, 2, 7, 21, 0, 18, 4, 9, 11, 24, 16, 5, 19, 1, 23, 10, 3, 20, 14, 8, 22, 6, 15, 12, 17]);
const lengthOf = (i: number): number => lengths[i]!;

describe('group_by_length (lengthGroupedOrder)', () => {
  it("equals transformers' get_length_grouped_indices for the same permutation", () => {
    // Expected values: transformers.trainer_pt_utils.get_length_grouped_indices with `indices` = this
    // order instead of torch.randperm (computed with its code, in Python).
    expect([...lengthGroupedOrder(order, lengthOf, 2)]).toEqual([9, 18, 13, 0, 21, 2, 7, 4, 24, 11, 5, 16, 1, 3, 20, 10, 23, 19, 14, 15, 22, 6, 8, 12, 17]);
    expect([...lengthGroupedOrder(order, lengthOf, 8)]).toEqual([9, 4, 7, 18, 13, 0, 21, 2, 24, 1, 11, 10, 23, 5, 16, 19, 14, 3, 15, 20, 22, 6, 8, 12, 17]);
  });

  it('is a permutation with the longest example first and every mega-batch sorted longest first', () => {
    const grouped = lengthGroupedOrder(order, lengthOf, 2); // mega-batches of min(25 / 8, 50) x 2 = 6
    expect([...grouped].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(lengthOf(grouped[0]!)).toBe(30);
    for (let start = 0; start < 25; start += 6) {
      // After the first: the swap put the mega-batch's own longest in front of the first mega-batch.
      const mega = [...grouped.subarray(start + 1, start + 6)].map(lengthOf);
      expect(mega).toEqual([...mega].sort((a, b) => b - a));
    }
  });

  it('applies to the shuffled epoch order only when asked, and refuses a bad batch size', () => {
    const options = { shuffle: true, seed: 42, epoch: 1 };
    const plain = epochOrder(25, options);
    expect(epochOrder(25, { ...options, lengthGroupSize: 4 }, lengthOf)).toEqual(lengthGroupedOrder(plain, lengthOf, 4));
    expect(() => lengthGroupedOrder(order, lengthOf, 0)).toThrow(/group_by_length batch size must be a positive integer, got 0/);
    expect(() => epochOrder(25, { ...options, lengthGroupSize: 4 })).toThrow(/needs the examples' lengths/);
  });

  it('gives W ranks with per-device batch B the global batches one process reads with batch B x W', () => {
    const many = Array.from({ length: 400 }, (_, i) => 3 + ((i * 7919) % 61)); // mega-batches of 16 global batches
    const lengthOf = (i: number): number => many[i]!;
    const options = { shuffle: true, seed: 7, epoch: 0, lengthGroupSize: 6 };
    const single = batchIndicesForEpoch(400, 6, options, lengthOf);
    const ranks = [0, 1, 2].map((rank) => shardedBatchIndices(400, 2, { rank, worldSize: 3 }, options, lengthOf));
    expect(ranks.every((batches) => batches.length === single.length)).toBe(true);
    single.forEach((batch, j) => expect(ranks.flatMap((batches) => [...batches[j]!])).toEqual([...batch]));
    // Similar lengths within a global batch: the ranks' padded lengths differ far less than in shuffled order.
    const spread = (batches: Int32Array[]): number =>
      batches.reduce((sum, batch) => sum + Math.max(...[...batch].map(lengthOf)) - Math.min(...[...batch].map(lengthOf)), 0);
    expect(spread(single)).toBeLessThan(spread(batchIndicesForEpoch(400, 6, { ...options, lengthGroupSize: undefined }, lengthOf)) / 5);
  });
});
