import { describe, expect, it } from 'vitest';
import { encodeTaggedSentences, type WordTokenizer } from './encode-tagged-sentences.ts';
import { readConll } from './read-conll.ts';
import { fixture } from './test-files.ts';

const CLS = 101;
const SEP = 102;

/** A real (tiny) word-piece tokenizer for tests: each word splits into pieces of up to 3 chars. */
const threeCharPieces: WordTokenizer = {
  encodeWords(words, { maxLength }) {
    const rows = words.map((sentence) => {
      const pieces = sentence.flatMap((word, w) => (word.match(/.{1,3}/gu) ?? []).map((piece) => ({ id: 1000 + piece.length, w })));
      const kept = pieces.slice(0, maxLength - 2);
      return { ids: [CLS, ...kept.map((p) => p.id), SEP], wordIds: [null, ...kept.map((p) => p.w), null] };
    });
    return {
      inputIds: rows.map((row) => row.ids),
      attentionMask: rows.map((row) => row.ids.map(() => 1)),
      tokenTypeIds: rows.map((row) => row.ids.map(() => 0)),
      wordIds: rows.map((row) => row.wordIds),
    };
  },
};

describe('encodeTaggedSentences', () => {
  it('labels the first piece of each word and pads labels with -100', async () => {
    const set = await readConll(fixture('wnut17-train-5.conll'));
    const dataset = encodeTaggedSentences(set.sentences, threeCharPieces, { maxLength: 64, padId: 0 });
    expect(dataset.size).toBe(5);
    expect(dataset.labelKind).toBe('token');
    // Sentence 1 starts "@paulwalk It 's": @pa ulw alk | It | 's, all tagged O (id 5).
    const batch = dataset.batch([0, 4]);
    const seq = batch.seqLength;
    const labels = batch.labels ?? new Int32Array(0);
    expect(labels).toHaveLength(2 * seq);
    expect([...labels.subarray(0, 7)]).toEqual([-100, 5, -100, -100, 5, 5, 5]);
    // The shorter row is padded: id 0, mask 0, label -100.
    const shortLength = dataset.length(4);
    expect(shortLength).toBeLessThan(seq);
    expect(batch.inputIds[seq + shortLength]).toBe(0);
    expect(batch.attentionMask[seq + shortLength]).toBe(0);
    expect(labels[seq + shortLength]).toBe(-100);
    // Every labelled position of row 0 carries one word's tag, in word order.
    const labelled = [...labels.subarray(0, seq)].filter((label) => label !== -100);
    expect(labelled).toEqual(set.sentences[0].tagIds);
  });

  it('truncates to maxLength, dropping the labels of cut words', async () => {
    const set = await readConll(fixture('wnut17-train-5.conll'));
    const dataset = encodeTaggedSentences(set.sentences.slice(0, 1), threeCharPieces, { maxLength: 6, padId: 0 });
    const batch = dataset.batch([0]);
    expect(batch.seqLength).toBe(6);
    expect([...(batch.labels ?? [])]).toEqual([-100, 5, -100, -100, 5, -100]);
  });

  it('is a batch source: batches(options) yields one epoch', async () => {
    const set = await readConll(fixture('wnut17-train-5.conll'));
    const dataset = encodeTaggedSentences(set.sentences, threeCharPieces, { maxLength: 64, padId: 0 });
    const sizes = [...dataset.batches({ batchSize: 2, shuffle: true, seed: 1, epoch: 0, dropLast: false })].map((b) => b.batchSize);
    expect(sizes).toEqual([2, 2, 1]);
  });
});
