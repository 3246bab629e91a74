/** mulberry32: a small, fast 32-bit PRNG; floats in [0, 1). Same seed, same stream, every platform. */
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

/** Two words mixed into one well-spread seed (murmur3's finaliser), for one stream per group. */
export function mixSeed(seed: number, word: number): number {
  let h = Math.imul((seed >>> 0) ^ Math.imul(word + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
