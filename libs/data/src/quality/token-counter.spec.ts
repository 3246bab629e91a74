import { describe, expect, it } from 'vitest';
import type { BatchTokenizer } from '../encode-examples.ts';
import { tokenCounterFrom } from './token-counter.ts';

/** A BERT-layout tokenizer that honours maxLength (truncation always on), one id per word. */
function recordingTokenizer(): BatchTokenizer & { maxLengths: number[] } {
  const maxLengths: number[] = [];
  return {
    maxLengths,
    encodeBatch(texts, pairs, options) {
      maxLengths.push(options.maxLength);
      const inputIds = texts.map((text, i) => {
        const words = [...text.split(' '), ...(pairs === undefined ? [] : ['[SEP]', ...pairs[i]!.split(' ')])];
        return [101, ...words.map((_, w) => 1000 + w), 102].slice(0, options.maxLength);
      });
      return { inputIds, attentionMask: inputIds.map((row) => row.map(() => 1)), tokenTypeIds: inputIds.map((row) => row.map(() => 0)) };
    },
  };
}

describe('tokenCounterFrom', () => {
  it('counts every token, special tokens included, with truncation at a length no text reaches', () => {
    const tokenizer = recordingTokenizer();
    const count = tokenCounterFrom(tokenizer);
    const long = Array.from({ length: 700 }, () => 'word').join(' ');
    expect(count('one two three')).toBe(5);
    expect(count('one two', 'three')).toBe(6);
    expect(count(long)).toBe(702);
    expect(tokenizer.maxLengths).toEqual([1_000_000, 1_000_000, 1_000_000]);
  });
});
