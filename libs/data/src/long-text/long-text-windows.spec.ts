import { describe, expect, it } from 'vitest';
import type { Example } from '../read-examples.ts';
import { averageWindowLogits, encodeLongTexts } from './encode-long-texts.ts';
import { windowSpans } from './long-text-windows.ts';

describe('windowSpans', () => {
  it('keeps a short text whole whatever the strategy', () => {
    for (const strategy of ['head', 'tail', 'head-tail', 'sliding-window'] as const) expect(windowSpans(5, 8, strategy, 2)).toEqual([[0, 5]]);
  });

  it('truncates to the head, the tail, or a quarter head and three quarters tail', () => {
    expect(windowSpans(20, 8, 'head', 0)).toEqual([[0, 8]]);
    expect(windowSpans(20, 8, 'tail', 0)).toEqual([[12, 20]]);
    expect(windowSpans(20, 8, 'head-tail', 0)).toEqual([[0, 2], [14, 20]]);
  });

  it('slides windows overlapping by stride tokens, the last one ending at the text end', () => {
    expect(windowSpans(20, 8, 'sliding-window', 2)).toEqual([[0, 8], [6, 14], [12, 20]]);
    expect(windowSpans(21, 8, 'sliding-window', 2)).toEqual([[0, 8], [6, 14], [12, 20], [18, 21]]);
    expect(windowSpans(16, 8, 'sliding-window', 0)).toEqual([[0, 8], [8, 16]]);
  });

  it('names a stride that leaves no progress', () => {
    expect(() => windowSpans(20, 8, 'sliding-window', 8)).toThrow(/--stride 8 must be an integer in \[0, 7\]/);
  });
});

/** One token per character, [CLS]=1 ... [SEP]=2, as a tokenizer without truncation returns them. */
const charTokenizer = {
  encodeBatch: (texts: string[]) => {
    const inputIds = texts.map((text) => [1, ...Array.from(text, (c) => c.charCodeAt(0)), 2]);
    return { inputIds, tokenTypeIds: inputIds.map((ids) => ids.map(() => 0)) };
  },
};

describe('encodeLongTexts', () => {
  const examples: Example[] = [
    { line: 2, text: 'abcdefghij', labelId: 1 },
    { line: 3, text: 'xyz', labelId: 0 },
  ];

  it('makes one row per window, labelled with its document, between the special tokens', () => {
    const set = encodeLongTexts(examples, charTokenizer, { maxLength: 6, padId: 0, strategy: 'sliding-window', stride: 1 });
    // Budget 4 content tokens, step 3: abcd, defg, ghij; then xyz.
    expect(Array.from(set.documentOf)).toEqual([0, 0, 0, 1]);
    const batch = set.dataset.batch([0, 1, 2, 3]);
    const text = (b: number) => String.fromCharCode(...Array.from(batch.inputIds.subarray(b * 6 + 1, b * 6 + 5)).filter((id) => id > 2));
    expect([0, 1, 2, 3].map(text)).toEqual(['abcd', 'defg', 'ghij', 'xyz']);
    expect(Array.from(batch.inputIds.subarray(0, 6))).toEqual([1, 97, 98, 99, 100, 2]);
    expect(Array.from(batch.labels!)).toEqual([1, 1, 1, 0]);
  });

  it('joins head and tail into one row', () => {
    const set = encodeLongTexts(examples, charTokenizer, { maxLength: 10, padId: 0, strategy: 'head-tail', stride: 0 });
    const batch = set.dataset.batch([0]);
    expect(String.fromCharCode(...Array.from(batch.inputIds).slice(1, -1))).toBe('ab' + 'efghij'); // budget 8: 2 head + 6 tail
  });

  it('refuses text pairs', () => {
    expect(() => encodeLongTexts([{ line: 2, text: 'a', textPair: 'b' }], charTokenizer, { maxLength: 6, padId: 0, strategy: 'tail', stride: 0 })).toThrow(/line 2 is a text pair/);
  });
});

describe('averageWindowLogits', () => {
  it('gives each document the mean of its windows', () => {
    const logits = Float32Array.from([1, 0, 3, 2, 5, 10, 0, 4]); // 4 windows x 2 labels
    expect(Array.from(averageWindowLogits(logits, 2, Int32Array.from([0, 0, 0, 1]), 2))).toEqual([3, 4, 0, 4]);
  });

  it('names a document without windows', () => {
    expect(() => averageWindowLogits(new Float32Array(2), 2, Int32Array.from([1]), 2)).toThrow(/document 0 has no windows/);
  });
});
