import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { ShardedBatchSource } from '../sharded-batch-source.ts';
import { encodeTranslationPairs, targetTextEncoderOf, textEncoderOf, type EncodeTexts } from './encode-translation-pairs.ts';
import { Seq2SeqDataset } from './seq2seq-dataset.ts';
import type { TranslationPairSet } from './translation-pairs.ts';

// A word-level tokenizer with Marian's conventions: ids from a growing vocabulary, </s> (id 1)
// appended, pad id 0 (also the decoder start), truncation keeping </s> last.
function wordEncoder(offset = 0): EncodeTexts & { calls: string[][] } {
  const vocab = new Map<string, number>();
  const calls: string[][] = [];
  const encode = (texts: string[], maxLength?: number): number[][] => {
    calls.push(texts);
    return texts.map((text) => {
      const ids = text.split(' ').map((word) => {
        if (!vocab.has(word)) vocab.set(word, offset + 2 + vocab.size);
        return vocab.get(word)!;
      });
      return maxLength === undefined ? [...ids, 1] : [...ids.slice(0, maxLength - 1), 1];
    });
  };
  return Object.assign(encode, { calls });
}

const set: TranslationPairSet = {
  sourceFile: 'train.en',
  targetFile: 'train.de',
  pairs: [
    { line: 1, source: 'a dog runs', target: 'ein Hund rennt schnell' },
    { line: 2, source: 'a cat', target: 'eine Katze' },
    { line: 3, source: 'the man sleeps in the sun', target: 'der Mann' },
  ],
  badRows: [],
};
const PAD = 0;

describe('Seq2SeqDataset batches (DataCollatorForSeq2Seq semantics)', () => {
  it('pads labels with -100, shifts decoder inputs right from decoder_start_token_id, masks padding', () => {
    const dataset = new Seq2SeqDataset({ sourceIds: [[5, 6, 1], [7, 1]], targetIds: [[8, 9, 10, 1], [11, 1]] }, PAD, PAD);
    const batch = dataset.batch([0, 1]);
    expect([batch.batchSize, batch.seqLength, batch.targetLength]).toEqual([2, 3, 4]);
    expect(Array.from(batch.inputIds)).toEqual([5, 6, 1, 7, 1, PAD]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.tokenTypeIds)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(batch.labels)).toEqual([8, 9, 10, 1, 11, 1, -100, -100]);
    // shift_tokens_right of [11, 1, -100, -100]: the shorter row's </s> moves into its first padded
    // position (no loss is taken there: its label is -100), and the remaining -100 becomes pad.
    expect(Array.from(batch.decoderInputIds)).toEqual([PAD, 8, 9, 10, PAD, 11, 1, PAD]);
    expect(Array.from(batch.decoderAttentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(dataset.labelKind).toBe('token');
  });

  it('uses the given decoder_start_token_id (T5 and Marian use pad, others differ)', () => {
    const dataset = new Seq2SeqDataset({ sourceIds: [[5, 1]], targetIds: [[8, 1]] }, PAD, 42);
    expect(Array.from(dataset.batch([0]).decoderInputIds)).toEqual([42, 8]);
  });

  it('every rank of a ShardedBatchSource gets seq2seq batches of its share', () => {
    const { dataset } = encodeTranslationPairs(set, wordEncoder(), { maxSourceLength: 16, maxTargetLength: 16, padId: PAD, decoderStartTokenId: PAD });
    const seen: number[] = [];
    for (const rank of [0, 1]) {
      const source = new ShardedBatchSource(dataset, { rank, worldSize: 2 });
      for (const batch of source.batches({ epoch: 0, batchSize: 2, shuffle: false, seed: 1, dropLast: false })) {
        if (batch.batchSize === 0) continue;
        expect('decoderInputIds' in batch).toBe(true);
        seen.push(batch.batchSize);
      }
    }
    expect(seen.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('encodeTranslationPairs', () => {
  it('prefixes sources, encodes targets with the target encoder, and counts truncation on both sides', () => {
    const source = wordEncoder();
    const target = wordEncoder(100);
    const encoded = encodeTranslationPairs(set, source, {
      maxSourceLength: 4,
      maxTargetLength: 3,
      sourcePrefix: 'translate English to German: ',
      encodeTarget: target,
      padId: PAD,
      decoderStartTokenId: PAD,
    });
    expect(source.calls[0]![0]).toBe('translate English to German: a dog runs');
    expect(target.calls[0]).toEqual(['ein Hund rennt schnell', 'eine Katze', 'der Mann']);
    expect(encoded.truncatedSources).toBe(3); // every prefixed source is longer than 4 tokens
    expect(encoded.truncatedTargets).toBe(1); // "ein Hund rennt schnell </s>" only
    const batch = encoded.dataset.batch([0]);
    expect(Array.from(batch.labels)).toEqual([102, 103, 1]); // cut to 3 by the tokenizer, </s> kept
    expect(batch.seqLength).toBe(4);
    expect(encoded.dataset.targetLengthOf(1)).toBe(3);
  });

  it('with onLongTarget "error", a long target fails naming the target file and line', () => {
    let thrown: unknown;
    try {
      encodeTranslationPairs(set, wordEncoder(), { maxSourceLength: 16, maxTargetLength: 3, onLongTarget: 'error', padId: PAD, decoderStartTokenId: PAD });
    } catch (error) {
      thrown = error;
    }
    expect(errorCode(thrown)).toBe('DATA_TARGET_TOO_LONG');
    expect(String(thrown)).toContain('train.de:1: target has 5 tokens, more than max_target_length 3');
    expect(String(thrown)).toContain('--on-long-target truncate');
  });

  it('textEncoderOf calls encodeBatch without truncation, then with the limit', () => {
    const calls: unknown[] = [];
    const tokenizer = {
      encodeBatch(texts: string[], _pairs: undefined, options: { maxLength?: number; truncation: boolean }) {
        calls.push(options);
        return { inputIds: texts.map(() => [1, 2, 3]) };
      },
    };
    const encode = textEncoderOf(tokenizer);
    encode(['x']);
    encode(['x'], 2);
    expect(calls).toEqual([{ padding: false, truncation: false }, { maxLength: 2, padding: false, truncation: true }]);
  });
});

describe('targetTextEncoderOf', () => {
  it('encodes targets with the tokenizer target side (encodeTargetBatch), truncating only with a limit', () => {
    const calls: unknown[] = [];
    const tokenizer = {
      encodeTargetBatch(texts: string[], options: { maxLength?: number; truncation: boolean }) {
        calls.push(options);
        return { inputIds: texts.map((text) => [text.length, 1]) };
      },
    };
    const encode = targetTextEncoderOf(tokenizer);
    expect(encode(['abc'])).toEqual([[3, 1]]);
    encode(['abc'], 8);
    expect(calls).toEqual([{ padding: false, truncation: false }, { maxLength: 8, padding: false, truncation: true }]);
  });
});
