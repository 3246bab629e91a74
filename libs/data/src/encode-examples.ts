import { DataError } from './data-error.ts';
import { EncodedDataset } from './encoded-dataset.ts';
import type { Example } from './read-examples.ts';

/** What this lib needs of a tokenizer (structurally; `@tunefleet/tokenizer` provides it). */
export interface BatchTokenizer {
  encodeBatch(
    texts: string[],
    pairs: string[] | undefined,
    options: { maxLength: number; padding: 'longest' | false; truncation: true },
  ): { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][] };
}

export interface EncodeOptions {
  /** Truncate every example to this many tokens, special tokens included. */
  readonly maxLength: number;
  /** The tokenizer's [PAD] id, used to pad batches. */
  readonly padId: number;
  /** Examples per tokenizer call; bounds peak memory on large files. */
  readonly chunkSize?: number;
}

// 1024 examples per call: large enough to amortise the call, small enough to keep memory flat.
const DEFAULT_CHUNK_SIZE = 1024;

/** Tokenizes every example once (unpadded) so epochs only re-batch. Labels come from `labelId`. */
export function encodeExamples(examples: readonly Example[], tokenizer: BatchTokenizer, options: EncodeOptions): EncodedDataset {
  const { maxLength, padId } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `encodeExamples: maxLength must be a positive integer, got ${maxLength}.`);
  }
  const hasPairs = examples.some((example) => example.textPair !== undefined);
  const hasLabels = examples.some((example) => example.labelId !== undefined);
  for (const example of examples) {
    if ((example.textPair !== undefined) !== hasPairs || (example.labelId !== undefined) !== hasLabels) {
      throw new DataError(
        'DATA_BAD_ARGUMENT',
        `encodeExamples: the example from line ${example.line} ${hasPairs ? 'lacks' : 'has'} a text pair or ` +
          'label that others have; every example must have the same fields.',
      );
    }
  }
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  const tokenTypeIds: number[][] = [];
  for (let start = 0; start < examples.length; start += chunkSize) {
    const chunk = examples.slice(start, start + chunkSize);
    const pairs = hasPairs ? chunk.map((example) => example.textPair as string) : undefined;
    const encoded = tokenizer.encodeBatch(chunk.map((example) => example.text), pairs, { maxLength, padding: false, truncation: true });
    if (encoded.inputIds.length !== chunk.length) {
      throw new DataError('DATA_BAD_ARGUMENT', `encodeExamples: the tokenizer returned ${encoded.inputIds.length} rows for ${chunk.length} texts.`);
    }
    inputIds.push(...encoded.inputIds);
    attentionMask.push(...encoded.attentionMask);
    tokenTypeIds.push(...encoded.tokenTypeIds);
  }
  const labels = hasLabels ? examples.map((example) => example.labelId as number) : undefined;
  return new EncodedDataset({ inputIds, attentionMask, tokenTypeIds, labels }, padId);
}
