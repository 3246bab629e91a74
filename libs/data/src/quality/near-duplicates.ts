import type { Example } from '../read-examples.ts';
import { fmix32, jaccard, MinHasher, shingleHashes } from './minhash.ts';
import { QualityError } from './quality-error.ts';
import type { NearDuplicatePair, NearDuplicateReport, NearDuplicateSettings } from './quality-report.ts';

/**
 * Defaults: character 5-grams, because most classification texts are a sentence or two and word
 * n-grams of such short texts share too little to score; Jaccard >= 0.8, close enough that a
 * reader would call the rows the same item reworded. 20 bands of 5 rows (100 hashes) put the LSH
 * S-curve's midpoint at (1/20)^(1/5) = 0.55, so a pair at exactly 0.8 becomes a candidate with
 * probability 1 - (1 - 0.8^5)^20 = 0.9996; every candidate is then verified by exact Jaccard, so
 * the banding only decides what is checked, never what is reported.
 */
export const DEFAULT_NEAR_DUPLICATES: NearDuplicateSettings = {
  threshold: 0.8,
  shingle: 'char',
  shingleSize: 5,
  bands: 20,
  rows: 5,
  seed: 42,
};

// Shingle sets kept for verification at once; bounds memory on large splits (sets are rebuilt on a miss).
const SHINGLE_CACHE_LIMIT = 20_000;

/**
 * Near-duplicate pairs among `representatives` (one example per distinct normalised text, with that
 * text in `keys`): MinHash signatures, LSH banding to find candidates, exact Jaccard to keep those
 * at or above the threshold. Pairs are ordered by their lines.
 */
export function nearDuplicates(
  representatives: readonly Example[],
  keys: readonly string[],
  settings: NearDuplicateSettings,
): NearDuplicateReport {
  checkSettings(settings);
  const { shingle, shingleSize, bands, rows } = settings;
  const hasher = new MinHasher(bands * rows, settings.seed);
  const signatures = keys.map((key) => hasher.signature(shingleHashes(key, shingle, shingleSize)));
  const cache = new Map<number, Uint32Array>();
  const shinglesOf = (index: number): Uint32Array => {
    let set = cache.get(index);
    if (set === undefined) {
      if (cache.size >= SHINGLE_CACHE_LIMIT) cache.clear();
      set = shingleHashes(keys[index]!, shingle, shingleSize);
      cache.set(index, set);
    }
    return set;
  };
  const checked = new Set<number>();
  const pairs: NearDuplicatePair[] = [];
  for (let band = 0; band < bands; band++) {
    for (const bucket of bandBuckets(signatures, band, rows).values()) {
      for (let x = 0; x < bucket.length; x++) {
        for (let y = x + 1; y < bucket.length; y++) {
          const pairKey = bucket[x]! * representatives.length + bucket[y]!;
          if (checked.has(pairKey)) continue;
          checked.add(pairKey);
          const similarity = jaccard(shinglesOf(bucket[x]!), shinglesOf(bucket[y]!));
          if (similarity < settings.threshold) continue;
          const lines = [representatives[bucket[x]!]!.line, representatives[bucket[y]!]!.line].sort((a, b) => a - b);
          pairs.push({ lines: [lines[0]!, lines[1]!], jaccard: similarity });
        }
      }
    }
  }
  pairs.sort((a, b) => a.lines[0] - b.lines[0] || a.lines[1] - b.lines[1]);
  return { pairs, candidatesChecked: checked.size, rowsInvolved: new Set(pairs.flatMap((pair) => pair.lines)).size };
}

/** Indices of the signatures whose `rows` slots of this band hash alike (ascending within a bucket). */
function bandBuckets(signatures: readonly Uint32Array[], band: number, rows: number): Map<number, number[]> {
  const buckets = new Map<number, number[]>();
  signatures.forEach((signature, index) => {
    let hash = 0x811c9dc5;
    for (let r = band * rows; r < (band + 1) * rows; r++) hash = fmix32((hash ^ signature[r]!) >>> 0);
    const bucket = buckets.get(hash);
    if (bucket === undefined) buckets.set(hash, [index]);
    else bucket.push(index);
  });
  return buckets;
}

function checkSettings(settings: NearDuplicateSettings): void {
  const { threshold, shingleSize, bands, rows } = settings;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new QualityError('QUALITY_BAD_ARGUMENT', `near-duplicate threshold must be in (0, 1], got ${threshold}.`);
  }
  for (const [name, value] of [['shingleSize', shingleSize], ['bands', bands], ['rows', rows]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new QualityError('QUALITY_BAD_ARGUMENT', `near-duplicate ${name} must be a positive integer, got ${value}.`);
    }
  }
}
