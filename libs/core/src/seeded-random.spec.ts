import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32 } from './seeded-random.ts';

describe('mulberry32', () => {
  it('gives the same stream for a seed, floats in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const drawn = Array.from({ length: 1000 }, () => a());
    expect(drawn).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(drawn.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(drawn[0]);
  });
});

describe('mixSeed', () => {
  it('depends on every word and their order', () => {
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2, 0)).not.toBe(mixSeed(1, 2));
  });
});
