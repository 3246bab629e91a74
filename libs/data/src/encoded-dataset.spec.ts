import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.ts';
import { EncodedDataset } from './encoded-dataset.ts';
import { encodeExamples, type BatchTokenizer } from './encode-examples.ts';
import { batchIndicesForEpoch, batchesForEpoch } from './epoch-batches.ts';
import type { Example } from './read-examples.ts';

const PAD = 0;
const CLS = 101;
const SEP = 102;

/** A real (tiny) tokenizer for tests: one id per whitespace word (its length + 1000), BERT layout. */
const wordLengthTokenizer: BatchTokenizer & { calls: number } = {
  calls: 0,
  encodeBatch(texts, pairs, { maxLength }) {
    this.calls++;
    const ids = (text: string) => text.split(/\s+/).filter(Boolean).map((word) => 1000 + word.length);
    const rows = texts.map((text, i) => {
      const first = [CLS, ...ids(text), SEP];
      const second = pairs ? [...ids(pairs[i]), SEP] : [];
      const tokens = [...first, ...second].slice(0, maxLength);
      return { tokens, types: tokens.map((_, t) => (t < first.length ? 0 : 1)) };
    });
    return {
      inputIds: rows.map((row) => row.tokens),
      attentionMask: rows.map((row) => row.tokens.map(() => 1)),
      tokenTypeIds: rows.map((row) => row.types),
    };
  },
};

const examples: Example[] = [
  { line: 2, text: 'a bb', labelId: 1 },
  { line: 3, text: 'ccc', labelId: 0 },
  { line: 4, text: 'dddd e ff ggg', labelId: 1 },
];

describe('encodeExamples + EncodedDataset.batch', () => {
  const dataset = encodeExamples(examples, wordLengthTokenizer, { maxLength: 5, padId: PAD, chunkSize: 2 });

  it('pads each batch to its own longest row, row-major', () => {
    expect(dataset.size).toBe(3);
    const batch = dataset.batch([1, 0]);
    expect(batch.batchSize).toBe(2);
    expect(batch.seqLength).toBe(4);
    expect([...batch.inputIds]).toEqual([CLS, 1003, SEP, PAD, CLS, 1001, 1002, SEP]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 0, 1, 1, 1, 1]);
    expect([...batch.tokenTypeIds]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(batch.labels).toEqual(Int32Array.from([0, 1]));
    expect(batch.inputIds).toBeInstanceOf(Int32Array);
  });

  it('truncates to maxLength and batches any subset of indices', () => {
    expect(dataset.length(2)).toBe(5);
    const batch = dataset.batch(Int32Array.from([2]));
    expect([...batch.inputIds]).toEqual([CLS, 1004, 1001, 1002, 1003]);
    expect(dataset.batch([1]).seqLength).toBe(3);
  });

  it('encodes text pairs with token types', () => {
    const pairs = encodeExamples([{ line: 1, text: 'a', textPair: 'bb cc', labelId: 0 }], wordLengthTokenizer, { maxLength: 16, padId: PAD });
    const batch = pairs.batch([0]);
    expect([...batch.inputIds]).toEqual([CLS, 1001, SEP, 1002, 1002, SEP]);
    expect([...batch.tokenTypeIds]).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('tokenizes in chunks of chunkSize', () => {
    const before = wordLengthTokenizer.calls;
    encodeExamples(examples, wordLengthTokenizer, { maxLength: 8, padId: PAD, chunkSize: 2 });
    expect(wordLengthTokenizer.calls - before).toBe(2);
  });

  it('rejects an index outside the dataset and an empty batch', () => {
    expect(() => dataset.batch([3])).toThrow('EncodedDataset: index 3 is outside 0..2.');
    expect(() => dataset.batch([])).toThrow(DataError);
  });
});

describe('EncodedDataset with token labels', () => {
  it('pads token labels with -100 and trims padding a tokenizer left in', () => {
    const dataset = new EncodedDataset(
      {
        inputIds: [[CLS, 7, SEP, PAD], [CLS, 8, 9, SEP]],
        attentionMask: [[1, 1, 1, 0], [1, 1, 1, 1]],
        tokenTypeIds: [[0, 0, 0, 0], [0, 0, 0, 0]],
        labels: [[-100, 2, -100, -100], [-100, 1, -100, -100]],
      },
      PAD,
    );
    expect(dataset.labelKind).toBe('token');
    expect(dataset.length(0)).toBe(3);
    const batch = dataset.batch([0]);
    expect(batch.seqLength).toBe(3);
    expect([...(batch.labels ?? [])]).toEqual([-100, 2, -100]);
    const both = dataset.batch([0, 1]);
    expect([...(both.labels ?? [])]).toEqual([-100, 2, -100, -100, -100, 1, -100, -100]);
    expect([...both.inputIds]).toEqual([CLS, 7, SEP, PAD, CLS, 8, 9, SEP]);
  });

  it('names a row whose lengths disagree', () => {
    expect(() => new EncodedDataset({ inputIds: [[1, 2]], attentionMask: [[1]], tokenTypeIds: [[0, 0]] }, PAD)).toThrow(
      'EncodedDataset: row 0 has 2 inputIds but 1 attentionMask.',
    );
    expect(() => new EncodedDataset({ inputIds: [[1]], attentionMask: [[1]], tokenTypeIds: [[0]], labels: [0, 1] }, PAD)).toThrow(
      'EncodedDataset: labels has 2 rows, inputIds has 1.',
    );
  });
});

describe('batchIndicesForEpoch / batchesForEpoch', () => {
  it('covers every index once per epoch, in order without shuffle', () => {
    const batches = batchIndicesForEpoch(7, 3, { shuffle: false, seed: 0, epoch: 0 });
    expect(batches.map((b) => [...b])).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batchIndicesForEpoch(7, 3, { shuffle: false, seed: 0, epoch: 0, dropLast: true })).toHaveLength(2);
  });

  it('shuffles deterministically by (seed, epoch)', () => {
    const flat = (epoch: number) => batchIndicesForEpoch(50, 8, { shuffle: true, seed: 42, epoch }).flatMap((b) => [...b]);
    expect(flat(1)).toEqual(flat(1));
    expect(flat(1)).not.toEqual(flat(2));
    expect([...flat(1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('yields collated batches of the dataset', () => {
    const dataset = encodeExamples(examples, wordLengthTokenizer, { maxLength: 8, padId: PAD });
    const batches = [...batchesForEpoch(dataset, 2, { shuffle: false, seed: 0, epoch: 0 })];
    expect(batches.map((b) => [b.batchSize, b.seqLength])).toEqual([[2, 4], [1, 6]]);
    expect(() => batchIndicesForEpoch(3, 0, { shuffle: false, seed: 0, epoch: 0 })).toThrow('batchSize must be a positive integer, got 0.');
  });
});
