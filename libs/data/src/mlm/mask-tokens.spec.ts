import { IGNORE_INDEX } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { batchIndicesForEpoch } from '../epoch-batches.ts';
import { ShardedBatchSource } from '../sharded-batch-source.ts';
import { maskRow, type MaskingOptions } from './mask-tokens.ts';
import { MaskedLmDataset, withMaskingEpochs } from './masked-lm-dataset.ts';

const MASK = 3;
const VOCAB = 1000;
const options: MaskingOptions = { mlmProbability: 0.15, wholeWordMask: false, maskTokenId: MASK, vocabSize: VOCAB };

/** A row of `length` tokens: [CLS]=1 first, [SEP]=2 last, ids 10.. between; words of `wordLength` sub-tokens. */
function row(length: number, wordLength = 1, offset = 0) {
  const inputIds = Int32Array.from({ length }, (_, i) => (i === 0 ? 1 : i === length - 1 ? 2 : 10 + ((i * 7 + offset) % (VOCAB - 10))));
  const isSpecial = Uint8Array.from({ length }, (_, i) => (i === 0 || i === length - 1 ? 1 : 0));
  const wordKeys = Int32Array.from({ length }, (_, i) => (isSpecial[i] ? -1 : Math.floor((i - 1) / wordLength)));
  return { inputIds, isSpecial, wordKeys };
}

describe('maskRow: HF DataCollatorForLanguageModeling proportions', () => {
  it('selects 15% of tokens, of which 80% [MASK], 10% random, 10% unchanged, within 5 standard deviations', () => {
    let tokens = 0;
    let selected = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    let violations = 0;
    for (let example = 0; example < 200; example++) {
      const r = row(502, 1, example);
      const out = maskRow(r, options, 42, 0, example);
      for (let i = 0; i < r.inputIds.length; i++) {
        if (r.isSpecial[i]) {
          if (out.labels[i] !== IGNORE_INDEX || out.inputIds[i] !== r.inputIds[i]) violations += 1;
          continue;
        }
        tokens += 1;
        if (out.labels[i] === IGNORE_INDEX) {
          if (out.inputIds[i] !== r.inputIds[i]) violations += 1; // unselected tokens are never changed
          continue;
        }
        if (out.labels[i] !== r.inputIds[i]) violations += 1;
        selected += 1;
        if (out.inputIds[i] === MASK) masked += 1;
        else if (out.inputIds[i] === r.inputIds[i]) kept += 1;
        else random += 1;
      }
    }
    expect(violations).toBe(0);
    expect(tokens).toBe(100_000);
    // Binomial(100000, 0.15): mean 15000, sd 112.9; 5 sd = 565. A failure here is a real bias (p < 6e-7).
    expect(Math.abs(selected - 15_000)).toBeLessThan(565);
    // Given S selected: [MASK] ~ Binomial(S, 0.8), sd of the share sqrt(0.16/S) ~ 0.0033; random and
    // unchanged ~ Binomial(S, 0.1), sd ~ 0.0024. 5 sd bounds. (A random draw equal to the original
    // token, p = 1/1000, counts as unchanged: 0.0001 of the share, far inside the bound.)
    expect(Math.abs(masked / selected - 0.8)).toBeLessThan(5 * Math.sqrt(0.16 / selected));
    expect(Math.abs(random / selected - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / selected));
    expect(Math.abs(kept / selected - 0.1)).toBeLessThan(5 * Math.sqrt(0.09 / selected));
  });

  it('whole-word masking selects every sub-token of a word or none, 15% of words', () => {
    let words = 0;
    let selectedWords = 0;
    let mixed = 0;
    for (let example = 0; example < 200; example++) {
      const r = row(302, 3, example); // 100 words of 3 sub-tokens
      const out = maskRow(r, { ...options, wholeWordMask: true }, 7, 0, example);
      for (let w = 0; w < 100; w++) {
        const picks = [1, 2, 3].map((k) => out.labels[w * 3 + k] !== IGNORE_INDEX);
        if (new Set(picks).size !== 1) mixed += 1;
        words += 1;
        if (picks[0]) selectedWords += 1;
      }
    }
    expect(mixed).toBe(0);
    // Binomial(20000, 0.15): sd 50.5, 5 sd = 253.
    expect(Math.abs(selectedWords - 0.15 * words)).toBeLessThan(253);
  });

  it('is a function of (seed, epoch, example): equal when they are, different when the epoch changes', () => {
    const r = row(200);
    expect(maskRow(r, options, 1, 2, 3)).toEqual(maskRow(r, options, 1, 2, 3));
    expect(maskRow(r, options, 1, 3, 3).labels).not.toEqual(maskRow(r, options, 1, 2, 3).labels);
    expect(maskRow(r, options, 1, 2, 4).labels).not.toEqual(maskRow(r, options, 1, 2, 3).labels);
  });

  it('selects one token of a row that drew none, so every row takes loss', () => {
    const r = row(3); // one maskable token
    for (let example = 0; example < 20; example++) {
      const out = maskRow(r, options, 0, 0, example);
      expect(out.labels[1]).toBe(r.inputIds[1]);
      expect([out.labels[0], out.labels[2]]).toEqual([IGNORE_INDEX, IGNORE_INDEX]);
    }
  });
});

describe('MaskedLmDataset: W ranks mask as one process', () => {
  const rows = Array.from({ length: 12 }, (_, i) => row(20, 1, i));
  const dataset = () =>
    new MaskedLmDataset({ inputIds: rows.map((r) => r.inputIds), isSpecial: rows.map((r) => r.isSpecial), wordKeys: rows.map((r) => r.wordKeys) }, 0, options, 11);

  /** example index -> its masked ids and labels, from any sequence of batches and their indices. */
  function byExample(batches: { inputIds: Int32Array; labels?: Int32Array; batchSize: number; seqLength: number }[], indices: ArrayLike<number>[]) {
    const out = new Map<number, [number[], number[]]>();
    batches.forEach((batch, j) => {
      for (let b = 0; b < batch.batchSize; b++) {
        const span = [b * batch.seqLength, (b + 1) * batch.seqLength] as const;
        out.set(indices[j]![b]!, [Array.from(batch.inputIds.subarray(...span)), Array.from(batch.labels!.subarray(...span))]);
      }
    });
    return out;
  }

  it('gives every example the same masks in epoch 1 whether 1 process or 2 ranks batch it', () => {
    const epoch = { epoch: 1, shuffle: true, seed: 5, dropLast: false };
    // One process: the Trainer reads the dataset's own batches().
    const one = dataset();
    const single = byExample([...one.batches({ ...epoch, batchSize: 4 })], batchIndicesForEpoch(12, 4, epoch));
    const merged = new Map<number, [number[], number[]]>();
    for (const rank of [0, 1]) {
      const source = new ShardedBatchSource(dataset(), { rank, worldSize: 2 });
      const wrapped = withMaskingEpochs(source, source.dataset);
      for (const [k, v] of byExample([...wrapped.batches({ ...epoch, batchSize: 2 })], source.indicesForEpoch({ ...epoch, batchSize: 2 }))) merged.set(k, v);
    }
    expect(merged.size).toBe(12);
    expect(merged).toEqual(single);
    // ...and epoch 0 masks differently (the epoch reached the dataset).
    const epoch0 = byExample([...one.batches({ ...epoch, epoch: 0, batchSize: 4 })], batchIndicesForEpoch(12, 4, { ...epoch, epoch: 0 }));
    expect(epoch0).not.toEqual(single);
  });
});
