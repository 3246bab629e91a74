import { DataError } from '../data-error.ts';
import { encodeTextChunks } from '../text-chunks.ts';
import type { MaskingOptions } from './mask-tokens.ts';
import { MaskedLmDataset } from './masked-lm-dataset.ts';

/** What masked LM needs of a tokenizer: texts with special tokens, and each token's word (null: special). */
export interface MaskedLmTokenizer {
  encodeBatch(
    texts: string[],
    pairs: undefined,
    options: { maxLength?: number; padding: false; truncation: boolean },
  ): { inputIds: number[][]; wordIds: (number | null)[][] };
}

export interface MaskedLmEncodeOptions extends MaskingOptions {
  /** Tokens per row (max_seq_length). */
  readonly maxLength: number;
  readonly padId: number;
  /** true: each line is a row, truncated to maxLength (HF run_mlm's line_by_line); false: lines are packed into blocks of maxLength. */
  readonly lineByLine: boolean;
  /** The run's seed: masks are drawn from (seed, epoch, example). */
  readonly seed: number;
}

/**
 * Masked-LM rows from text lines. line_by_line: one row per line ([CLS] line [SEP], truncated). Packed
 * (HF run_mlm's group_texts): every line is tokenized with its special tokens, the lines are
 * concatenated and cut into blocks of maxLength; a last, shorter block is kept (dynamic padding
 * makes it cheap) where HF drops it. Special tokens are never masked; sub-tokens of one word share
 * a word key for whole-word masking.
 */
export function encodeMaskedLmTexts(texts: readonly string[], tokenizer: MaskedLmTokenizer, options: MaskedLmEncodeOptions): MaskedLmDataset {
  const { maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 3) {
    throw new DataError('DATA_BAD_ARGUMENT', `masked LM: max_seq_length must be at least 3 (two special tokens and one to mask), got ${maxLength}.`);
  }
  if (!(options.mlmProbability > 0 && options.mlmProbability < 1)) {
    throw new DataError('DATA_BAD_ARGUMENT', `masked LM: mlm_probability must be in (0, 1), got ${options.mlmProbability}.`);
  }
  const rows = { inputIds: [] as Int32Array[], isSpecial: [] as Uint8Array[], wordKeys: [] as Int32Array[] };
  let nextWord = 0;
  const pending = { ids: [] as number[], special: [] as number[], words: [] as number[] };
  const flush = (count: number): void => {
    rows.inputIds.push(Int32Array.from(pending.ids.splice(0, count)));
    rows.isSpecial.push(Uint8Array.from(pending.special.splice(0, count)));
    rows.wordKeys.push(Int32Array.from(pending.words.splice(0, count)));
  };
  for (const encoded of encodeTextChunks(texts, tokenizer, options.lineByLine, maxLength)) {
    encoded.inputIds.forEach((ids, i) => {
      const wordIds = encoded.wordIds[i]!;
      // Word keys unique across lines: the line's first word gets nextWord.
      const base = nextWord;
      for (let t = 0; t < ids.length; t++) {
        const word = wordIds[t];
        pending.ids.push(ids[t]!);
        pending.special.push(word === null || word === undefined ? 1 : 0);
        pending.words.push(word === null || word === undefined ? -1 : base + word);
        if (word !== null && word !== undefined) nextWord = Math.max(nextWord, base + word + 1);
      }
      if (options.lineByLine) flush(pending.ids.length);
      else while (pending.ids.length >= maxLength) flush(maxLength);
    });
  }
  if (pending.ids.length > 0) flush(pending.ids.length);
  if (rows.inputIds.length === 0) throw new DataError('DATA_BAD_ARGUMENT', 'masked LM: no text to train on.');
  return new MaskedLmDataset(rows, options.padId, options, options.seed);
}
