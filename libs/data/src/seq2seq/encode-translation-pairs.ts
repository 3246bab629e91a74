import { DataError, MAX_LISTED_BAD_ROWS, formatBadRow, type BadRow } from '../data-error.ts';
import { Seq2SeqDataset } from './seq2seq-dataset.ts';
import { TranslationDataError } from './translation-data-error.ts';
import type { TranslationPairSet } from './translation-pairs.ts';

/** Token ids of each text, special tokens included; truncated to `maxLength` (specials kept) when given. */
export type EncodeTexts = (texts: string[], maxLength?: number) => number[][];

/** What `textEncoderOf` needs of a tokenizer (structurally; `@tunefleet/tokenizer`'s have it). */
export interface TextBatchTokenizer {
  encodeBatch(texts: string[], pairs: undefined, options: { maxLength?: number; padding: false; truncation: boolean }): { inputIds: number[][] };
}

/** A tokenizer's `encodeBatch` as an `EncodeTexts`: no truncation without a limit, its own truncation with one. */
export function textEncoderOf(tokenizer: TextBatchTokenizer): EncodeTexts {
  return (texts, maxLength) =>
    tokenizer.encodeBatch(texts, undefined, maxLength === undefined ? { padding: false, truncation: false } : { maxLength, padding: false, truncation: true })
      .inputIds;
}

/** A tokenizer with a target side of its own (`text_target=`: Marian's target.spm), structurally. */
export interface TargetBatchTokenizer {
  encodeTargetBatch(texts: string[], options: { maxLength?: number; padding: false; truncation: boolean }): { inputIds: number[][] };
}

/** A tokenizer's `encodeTargetBatch` as an `EncodeTexts`, for `EncodeTranslationOptions.encodeTarget`. */
export function targetTextEncoderOf(tokenizer: TargetBatchTokenizer): EncodeTexts {
  return (texts, maxLength) =>
    tokenizer.encodeTargetBatch(texts, maxLength === undefined ? { padding: false, truncation: false } : { maxLength, padding: false, truncation: true }).inputIds;
}

/** What to do with a target longer than max_target_length. */
export type OnLongTarget = 'truncate' | 'error';

export interface EncodeTranslationOptions {
  /** run_translation's max_source_length: sources are truncated to it (and counted). */
  readonly maxSourceLength: number;
  /** run_translation's max_target_length: targets are truncated to it and counted, or fail (onLongTarget). */
  readonly maxTargetLength: number;
  /** 'truncate' (run_translation's behaviour, the default) or 'error': fail naming every long target's file and line. */
  readonly onLongTarget?: OnLongTarget;
  /** Prepended to every source (T5: "translate English to German: "); run_translation's source_prefix. */
  readonly sourcePrefix?: string;
  /** The target side's tokenizer where it differs (Marian's target.spm); default: the source encoder. */
  readonly encodeTarget?: EncodeTexts;
  readonly padId: number;
  readonly decoderStartTokenId: number;
  /** Pairs per tokenizer call; bounds peak memory on large files. */
  readonly chunkSize?: number;
}

export interface EncodedTranslations {
  readonly dataset: Seq2SeqDataset;
  /** Pairs whose source was cut to maxSourceLength. */
  readonly truncatedSources: number;
  /** Pairs whose target was cut to maxTargetLength (0 with onLongTarget 'error'). */
  readonly truncatedTargets: number;
}

const DEFAULT_CHUNK_SIZE = 1024;

/**
 * Tokenizes every pair once: the source (prefixed) with `encodeSource`, the target with
 * `encodeTarget` (run_translation's `tokenizer(text_target=...)`), each to its limit. Rows are
 * first encoded whole so that truncation can be counted, then re-encoded with the limit where too
 * long (the tokenizer's own truncation keeps its special tokens).
 */
export function encodeTranslationPairs(set: TranslationPairSet, encodeSource: EncodeTexts, options: EncodeTranslationOptions): EncodedTranslations {
  const { maxSourceLength, maxTargetLength } = options;
  for (const [name, value] of [['maxSourceLength', maxSourceLength], ['maxTargetLength', maxTargetLength]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new DataError('DATA_BAD_ARGUMENT', `encodeTranslationPairs: ${name} must be a positive integer, got ${value}.`);
    }
  }
  const encodeTarget = options.encodeTarget ?? encodeSource;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const prefix = options.sourcePrefix ?? '';
  const sourceIds: number[][] = [];
  const targetIds: number[][] = [];
  const tooLong: BadRow[] = [];
  let truncatedSources = 0;
  let truncatedTargets = 0;
  for (let start = 0; start < set.pairs.length; start += chunkSize) {
    const chunk = set.pairs.slice(start, start + chunkSize);
    const sources = limited(encodeSource, chunk.map((pair) => prefix + pair.source), maxSourceLength);
    const targets = limited(encodeTarget, chunk.map((pair) => pair.target), maxTargetLength);
    truncatedSources += sources.truncated.length;
    if (options.onLongTarget === 'error') {
      for (const i of targets.truncated) {
        tooLong.push({ file: set.targetFile, line: chunk[i]!.line, reason: `target has ${targets.fullLengths[i]} tokens, more than max_target_length ${maxTargetLength}` });
      }
    } else {
      truncatedTargets += targets.truncated.length;
    }
    sourceIds.push(...sources.ids);
    targetIds.push(...targets.ids);
  }
  if (tooLong.length > 0) throw targetTooLongError(tooLong, maxTargetLength);
  return { dataset: new Seq2SeqDataset({ sourceIds, targetIds }, options.padId, options.decoderStartTokenId), truncatedSources, truncatedTargets };
}

/** Each text's ids within `maxLength`, which rows had to be cut, and their uncut lengths. */
function limited(encode: EncodeTexts, texts: string[], maxLength: number): { ids: number[][]; truncated: number[]; fullLengths: number[] } {
  const ids = encode(texts);
  if (ids.length !== texts.length) {
    throw new DataError('DATA_BAD_ARGUMENT', `encodeTranslationPairs: the tokenizer returned ${ids.length} rows for ${texts.length} texts.`);
  }
  const fullLengths = ids.map((row) => row.length);
  const truncated = fullLengths.flatMap((length, i) => (length > maxLength ? [i] : []));
  if (truncated.length > 0) {
    const cut = encode(truncated.map((i) => texts[i]!), maxLength);
    truncated.forEach((i, k) => (ids[i] = cut[k]!.slice(0, maxLength)));
  }
  return { ids, truncated, fullLengths };
}

function targetTooLongError(rows: readonly BadRow[], maxTargetLength: number): TranslationDataError {
  const listed = rows.slice(0, MAX_LISTED_BAD_ROWS).map((row) => `  ${formatBadRow(row)}`);
  if (rows.length > listed.length) listed.push(`  and ${rows.length - listed.length} more`);
  return new TranslationDataError(
    'DATA_TARGET_TOO_LONG',
    `${rows.length} target${rows.length === 1 ? ' is' : 's are'} longer than max_target_length ${maxTargetLength} ` +
      `(on_long_target is "error"):\n${listed.join('\n')}\n` +
      'Raise --max-target-length, or use --on-long-target truncate to cut them (and count them).',
  );
}
