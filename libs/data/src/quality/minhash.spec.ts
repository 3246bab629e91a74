import { describe, expect, it } from 'vitest';
import { estimatedJaccard, jaccard, MinHasher, shingleHashes } from './minhash.ts';

describe('shingleHashes', () => {
  it('hashes each distinct run of words or characters once', () => {
    expect(shingleHashes('a b a b a', 'word', 2)).toHaveLength(2); // "a b", "b a"
    expect(shingleHashes('abcabc', 'char', 3)).toHaveLength(3); // abc bca cab
    expect(shingleHashes('abcabc', 'char', 3)).toEqual(shingleHashes('bcabca', 'char', 3));
  });

  it('makes a text shorter than one shingle a single shingle', () => {
    expect(shingleHashes('ok', 'char', 5)).toHaveLength(1);
    expect(shingleHashes('ok', 'char', 5)).not.toEqual(shingleHashes('no', 'char', 5));
  });
});

describe('jaccard', () => {
  it('is |A ∩ B| / |A ∪ B| over sorted hash sets', () => {
    expect(jaccard(Uint32Array.of(1, 2, 3, 4), Uint32Array.of(3, 4, 5))).toBe(2 / 5);
    expect(jaccard(Uint32Array.of(7), Uint32Array.of(7))).toBe(1);
    expect(jaccard(Uint32Array.of(1), Uint32Array.of(2))).toBe(0);
  });
});

describe('MinHasher', () => {
  const a = shingleHashes('the performances are strong but the script never finds its footing', 'char', 5);
  const b = shingleHashes('the performances are strong but the script never quite finds its footing', 'char', 5);

  it('is deterministic for a seed and differs across seeds', () => {
    expect(new MinHasher(64, 1).signature(a)).toEqual(new MinHasher(64, 1).signature(a));
    expect(new MinHasher(64, 2).signature(a)).not.toEqual(new MinHasher(64, 1).signature(a));
  });

  it('estimates the Jaccard similarity within 0.06 with 1024 hashes (standard error sqrt(J(1-J)/1024) ~ 0.013)', () => {
    const hasher = new MinHasher(1024, 42);
    const exact = jaccard(a, b);
    expect(Math.abs(estimatedJaccard(hasher.signature(a), hasher.signature(b)) - exact)).toBeLessThan(0.06);
    expect(estimatedJaccard(hasher.signature(a), hasher.signature(a))).toBe(1);
  });
});
