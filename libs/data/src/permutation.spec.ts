import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { permutation } from './permutation.ts';

describe('permutation', () => {
  it('is a permutation of 0..n-1 for any n, seed and epoch', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.integer(), fc.nat(1000), (n, seed, epoch) => {
        const order = permutation(n, seed, epoch);
        expect(order).toHaveLength(n);
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 200 },
    );
  });

  it('is the same for the same (seed, epoch) and differs across epochs and seeds', () => {
    const a = permutation(1000, 42, 3);
    expect(permutation(1000, 42, 3)).toEqual(a);
    expect(permutation(1000, 42, 4)).not.toEqual(a);
    expect(permutation(1000, 43, 3)).not.toEqual(a);
    // Seeds above 2^32 must not collide with their low 32 bits.
    expect(permutation(1000, 2 ** 32 + 42, 3)).not.toEqual(a);
  });

  it('actually shuffles: few elements stay in place and every position is reachable', () => {
    const order = permutation(1000, 7, 0);
    const fixedPoints = order.filter((value, i) => value === i).length;
    expect(fixedPoints).toBeLessThan(10); // about 1 expected for a uniform shuffle
    const firstSeen = new Set<number>();
    for (let epoch = 0; epoch < 400; epoch++) firstSeen.add(permutation(8, 1, epoch)[0]);
    expect(firstSeen.size).toBe(8);
  });

  it('rejects a negative or fractional size', () => {
    expect(() => permutation(-1, 0, 0)).toThrow('permutation: n must be a non-negative integer, got -1.');
    expect(() => permutation(2.5, 0, 0)).toThrow('n must be a non-negative integer');
  });
});
