import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planBuckets, planFlatBuckets } from './bucket-plan.ts';

describe('planBuckets', () => {
  it('packs whole tensors in order and gives an oversized tensor its own bucket', () => {
    const buckets = planBuckets([10, 10, 6, 40, 3], 100); // 25 f32 per bucket
    expect(buckets.map((b) => [b.offset, b.length, b.firstTensor, b.endTensor])).toEqual([
      [0, 20, 0, 2],
      [20, 6, 2, 3],
      [26, 40, 3, 4],
      [66, 3, 4, 5],
    ]);
    expect(buckets.map((b) => b.bucketId)).toEqual([0, 1, 2, 3]);
    expect(planBuckets([10, 10, 5], 100).map((b) => b.length)).toEqual([25]); // exactly full
  });

  it('covers every element exactly once, in order, and is the same on every call', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(5000), { maxLength: 60 }), fc.integer({ min: 4, max: 40_000 }), (sizes, bucketBytes) => {
        const buckets = planBuckets(sizes, bucketBytes);
        expect(planBuckets(sizes, bucketBytes)).toEqual(buckets);
        let offset = 0;
        let tensor = 0;
        for (const bucket of buckets) {
          expect(bucket.offset).toBe(offset);
          expect(bucket.firstTensor).toBe(tensor);
          const size = sizes.slice(bucket.firstTensor, bucket.endTensor).reduce((a, b) => a + b, 0);
          expect(bucket.length).toBe(size);
          // Only a bucket holding a single (non-empty) tensor may exceed bucketBytes.
          const nonEmpty = sizes.slice(bucket.firstTensor, bucket.endTensor).filter((s) => s > 0).length;
          if (nonEmpty > 1) expect(bucket.length * 4).toBeLessThanOrEqual(bucketBytes);
          offset += bucket.length;
          tensor = bucket.endTensor;
        }
        expect(tensor).toBe(sizes.length);
        expect(offset).toBe(sizes.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('splits a flat buffer and rejects nonsense sizes with a clear error', () => {
    expect(planFlatBuckets(10, 16).map((b) => b.length)).toEqual([4, 4, 2]);
    expect(planFlatBuckets(0, 16)).toEqual([]);
    expect(() => planBuckets([3, -1], 64)).toThrow(/tensor 1 has size -1/);
    expect(() => planBuckets([3], 2)).toThrow(/bucketBytes must be an integer >= 4/);
  });
});
