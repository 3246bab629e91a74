import type { BatchTokenizer } from '../encode-examples.ts';

/** Tokens of one example, special tokens included (what `encodeExamples` would keep untruncated). */
export type TokenCounter = (text: string, pair?: string) => number;

// A limit no real text reaches: BatchTokenizer always truncates, so counting the full length means
// truncating at a length that never bites.
const UNBOUNDED_LENGTH = 1_000_000;

/** Counts with the run's own tokenizer, so the lengths are the ones training sees. */
export function tokenCounterFrom(tokenizer: BatchTokenizer): TokenCounter {
  return (text, pair) => {
    const encoded = tokenizer.encodeBatch([text], pair === undefined ? undefined : [pair], {
      maxLength: UNBOUNDED_LENGTH,
      padding: false,
      truncation: true,
    });
    return encoded.inputIds[0]!.length;
  };
}
