import { mulberry32 } from '@tunefleet/core';

/**
 * MinHash (Broder 1997) over 32-bit shingle hashes. Signature slot i holds the minimum of h_i over a
 * text's shingles, so P(slot equal for two texts) = Jaccard(shingles A, shingles B). Each h_i is
 * murmur3's finaliser after an odd multiply-add: a bijection on 32 bits, seeded, deterministic.
 */
export class MinHasher {
  private readonly multipliers: Uint32Array;
  private readonly addends: Uint32Array;

  constructor(
    readonly numHashes: number,
    seed: number,
  ) {
    const random = mulberry32(seed);
    this.multipliers = new Uint32Array(numHashes);
    this.addends = new Uint32Array(numHashes);
    for (let i = 0; i < numHashes; i++) {
      this.multipliers[i] = (Math.floor(random() * 4294967296) | 1) >>> 0;
      this.addends[i] = Math.floor(random() * 4294967296) >>> 0;
    }
  }

  /** The signature of a non-empty shingle set (`shingleHashes`). */
  signature(shingles: Uint32Array): Uint32Array {
    const signature = new Uint32Array(this.numHashes).fill(0xffffffff);
    for (let i = 0; i < this.numHashes; i++) {
      const multiplier = this.multipliers[i]!;
      const addend = this.addends[i]!;
      let min = 0xffffffff;
      for (let j = 0; j < shingles.length; j++) {
        const value = fmix32((Math.imul(multiplier, shingles[j]!) + addend) >>> 0);
        if (value < min) min = value;
      }
      signature[i] = min;
    }
    return signature;
  }
}

/** The fraction of equal slots: an unbiased estimate of the Jaccard similarity. */
export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  let equal = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal += 1;
  return equal / a.length;
}

export type ShingleKind = 'word' | 'char';

/**
 * The sorted, distinct 32-bit hashes of a text's shingles: every run of `size` words (or characters).
 * A text shorter than one shingle is one shingle, so no text has an empty set.
 */
export function shingleHashes(text: string, kind: ShingleKind, size: number): Uint32Array {
  const units = kind === 'word' ? text.split(' ').filter((word) => word !== '') : [...text];
  const joiner = kind === 'word' ? ' ' : '';
  const hashes = new Set<number>();
  if (units.length <= size) hashes.add(fnv1a(units.join(joiner)));
  else for (let i = 0; i + size <= units.length; i++) hashes.add(fnv1a(units.slice(i, i + size).join(joiner)));
  return Uint32Array.from(hashes).sort();
}

/** Exact Jaccard similarity of two sorted distinct hash sets (a merge walk). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      shared += 1;
      i += 1;
      j += 1;
    } else if (a[i]! < b[j]!) i += 1;
    else j += 1;
  }
  return shared / (a.length + b.length - shared);
}

/** FNV-1a over UTF-16 code units, finalised by fmix32 so nearby strings spread. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return fmix32(hash >>> 0);
}

/** murmur3's 32-bit finaliser: a bijection with full avalanche. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
