import { DataError } from './data-error.ts';

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes 32-bit words into one well-spread seed (the murmur3 finaliser after each word). */
function mixSeed(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    h = Math.imul(h ^ (word >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/**
 * The order of `n` examples in one epoch: a Fisher-Yates shuffle driven by (seed, epoch). The same
 * pair always gives the same order, on every rank and every run; another epoch gives another order.
 */
export function permutation(n: number, seed: number, epoch: number): Int32Array {
  for (const [name, value] of [['n', n], ['seed', seed], ['epoch', epoch]] as const) {
    if (!Number.isSafeInteger(value) || (name !== 'seed' && value < 0)) {
      throw new DataError('DATA_BAD_ARGUMENT', `permutation: ${name} must be a non-negative integer, got ${value}.`);
    }
  }
  const seedHigh = Math.floor(seed / 4294967296);
  const random = mulberry32(mixSeed(seed, seedHigh, epoch));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
