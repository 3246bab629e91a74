import { TokenizerError } from './tokenizer-error.ts';
import { truncateSequences, type TokenSequence } from './truncation.ts';

export interface EncodeOptions {
  /**
   * Length limit, special tokens included. Defaults to the tokenizer's modelMaxLength where a limit
   * is needed (truncation on, or padding 'max_length').
   */
  maxLength?: number;
  /** 'longest': to the longest row of the batch; 'max_length': to maxLength; false (default): none. */
  padding?: 'longest' | 'max_length' | false;
  /**
   * Cut sequences (before [CLS]/[SEP] are added, so the final [SEP] stays) to maxLength, pairs by
   * Hugging Face's longest_first. Default: on when maxLength is given, off otherwise (as `transformers`).
   */
  truncation?: boolean;
}

/** One encoded row. wordIds is null for special and padding tokens. */
export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  wordIds: (number | null)[];
}

/** Rows of equal length when padding was asked for; ragged otherwise. */
export interface BatchEncoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  wordIds: (number | null)[][];
}

export interface SpecialIds {
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
}

interface ResolvedOptions {
  /** Token budget for the sequences themselves, special tokens excluded; undefined: no truncation. */
  readonly truncateTo: (hasPair: boolean) => number | undefined;
  readonly padding: 'longest' | 'max_length' | false;
  readonly maxLength: number;
}

export function resolveOptions(options: EncodeOptions, modelMaxLength: number): ResolvedOptions {
  const { maxLength, padding = false } = options;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength <= 0)) {
    throw new TokenizerError('TOKENIZER_INVALID_OPTIONS', `maxLength must be a positive integer, got ${maxLength}`);
  }
  const isTruncating = options.truncation ?? maxLength !== undefined;
  const limit = maxLength ?? modelMaxLength;
  const truncateTo = (hasPair: boolean): number | undefined => {
    if (!isTruncating) return undefined;
    const specialCount = hasPair ? 3 : 2;
    if (limit < specialCount) {
      throw new TokenizerError(
        'TOKENIZER_INVALID_OPTIONS',
        `maxLength ${limit} leaves no room for the ${specialCount} special tokens of a ${hasPair ? 'pair' : 'single text'}; use at least ${specialCount}`,
      );
    }
    return limit - specialCount;
  };
  return { truncateTo, padding, maxLength: limit };
}

/** `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` with token types 0..0 1..1, after truncation. */
export function buildEncoding(
  first: TokenSequence,
  second: TokenSequence | undefined,
  ids: SpecialIds,
  options: ResolvedOptions,
): Encoding {
  const budget = options.truncateTo(second !== undefined);
  const [a, b] = budget === undefined ? [first, second] : truncateSequences(first, second, budget);
  const inputIds = [ids.cls, ...a.ids, ids.sep];
  const tokenTypeIds = new Array<number>(inputIds.length).fill(0);
  const wordIds: (number | null)[] = [null, ...a.wordIds, null];
  if (b) {
    inputIds.push(...b.ids, ids.sep);
    tokenTypeIds.push(...new Array<number>(b.ids.length + 1).fill(1));
    wordIds.push(...b.wordIds, null);
  }
  return { inputIds, attentionMask: new Array<number>(inputIds.length).fill(1), tokenTypeIds, wordIds };
}

/** Right padding with [PAD], mask 0, token type 0, word id null (Hugging Face's defaults). */
export function padBatch(rows: Encoding[], ids: SpecialIds, options: ResolvedOptions): BatchEncoding {
  const target =
    options.padding === 'max_length'
      ? options.maxLength
      : options.padding === 'longest'
        ? rows.reduce((longest, row) => Math.max(longest, row.inputIds.length), 0)
        : 0;
  const batch: BatchEncoding = { inputIds: [], attentionMask: [], tokenTypeIds: [], wordIds: [] };
  for (const row of rows) {
    const missing = Math.max(0, target - row.inputIds.length);
    batch.inputIds.push(missing ? row.inputIds.concat(new Array<number>(missing).fill(ids.pad)) : row.inputIds);
    batch.attentionMask.push(missing ? row.attentionMask.concat(new Array<number>(missing).fill(0)) : row.attentionMask);
    batch.tokenTypeIds.push(missing ? row.tokenTypeIds.concat(new Array<number>(missing).fill(0)) : row.tokenTypeIds);
    batch.wordIds.push(missing ? row.wordIds.concat(new Array<null>(missing).fill(null)) : row.wordIds);
  }
  return batch;
}
