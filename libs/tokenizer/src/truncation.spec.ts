import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { longestFirstLengths, truncateSequences } from './truncation.ts';

describe('longestFirstLengths', () => {
  // The table of huggingface/tokenizers `truncate_encodings_longest_first` (max_length 7,
  // lengths empty 0, short 2, medium 4, long 8).
  it.each([
    [0, 0, 0, 0], [0, 2, 0, 2], [0, 4, 0, 4], [0, 8, 0, 7],
    [2, 0, 2, 0], [2, 2, 2, 2], [2, 4, 2, 4], [2, 8, 2, 5],
    [4, 0, 4, 0], [4, 2, 4, 2], [4, 4, 3, 4], [4, 8, 3, 4],
    [8, 0, 7, 0], [8, 2, 5, 2], [8, 4, 4, 3], [8, 8, 3, 4],
  ])('(%i, %i) at 7 -> (%i, %i) as the Rust crate', (a, b, n1, n2) => {
    expect(longestFirstLengths(a, b, 7)).toEqual([n1, n2]);
  });

  it('fits the budget, never grows a sequence, and cuts nothing that fits', () => {
    fc.assert(
      fc.property(fc.nat(600), fc.nat(600), fc.nat(600), (a, b, max) => {
        const [n1, n2] = longestFirstLengths(a, b, max);
        expect(n1).toBeLessThanOrEqual(a);
        expect(n2).toBeLessThanOrEqual(b);
        expect(n1 + n2).toBe(Math.min(a + b, max));
      }),
    );
  });
});

describe('truncateSequences', () => {
  it('keeps the first tokens and their word ids', () => {
    const first = { ids: [10, 11, 12, 13], wordIds: [0, 0, 1, 2] };
    const [kept, pair] = truncateSequences(first, undefined, 2);
    expect(kept).toEqual({ ids: [10, 11], wordIds: [0, 0] });
    expect(pair).toBeUndefined();
  });

  it('cuts the longer sequence of a pair first', () => {
    const first = { ids: [1, 2], wordIds: [0, 1] };
    const second = { ids: [3, 4, 5, 6, 7], wordIds: [0, 1, 2, 3, 4] };
    const [a, b] = truncateSequences(first, second, 4);
    expect(a.ids).toEqual([1, 2]);
    expect(b?.ids).toEqual([3, 4]);
    expect(b?.wordIds).toEqual([0, 1]);
  });
});
