import { describe, expect, it } from 'vitest';
import { percentiles, textLengths, wordCount } from './text-lengths.ts';

describe('textLengths', () => {
  it('counts a text pair as one text against minWords', () => {
    const examples = [
      { line: 2, text: 'a cat', textPair: 'sleeps' },
      { line: 3, text: 'a', textPair: 'cat' },
      { line: 4, text: 'three words here' },
    ];
    expect(textLengths(examples, [], { minWords: 3 }).veryShort).toEqual({ count: 1, lines: [3] });
  });

  it('counts the pair into the token length and truncates strictly above max_seq_length', () => {
    const examples = [
      { line: 2, text: 'a b', textPair: 'c' },
      { line: 3, text: 'a b c d' },
    ];
    const report = textLengths(examples, [], { minWords: 1, maxSeqLength: 5, countTokens: (text, pair) => wordCount(text) + wordCount(pair ?? '') + 2 });
    expect(report.tokens).toEqual({ percentiles: { p50: 5, p90: 6, p95: 6, p99: 6, max: 6 }, truncated: { count: 1, share: 1 / 2, lines: [3] } });
  });
});

describe('percentiles', () => {
  it('are nearest-rank: the smallest value with at least p% at or below it', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 down to 1
    expect(percentiles(values)).toEqual({ p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p95: 7, p99: 7, max: 7 });
  });
});

describe('wordCount', () => {
  it('splits on runs of whitespace', () => {
    expect([wordCount('  a  b\tc '), wordCount(''), wordCount('   ')]).toEqual([3, 0, 0]);
  });
});
