import { DataError } from '../data-error.ts';
import type { EncodedDataset } from '../encoded-dataset.ts';
import { encodeTextChunks } from '../text-chunks.ts';
import { causalDataset, type CausalRow } from './causal-rows.ts';

/** What plain-text causal LM needs of a tokenizer: texts encoded with the tokenizer's own special tokens. */
export interface CausalTextTokenizer {
  encodeBatch(texts: string[], pairs: undefined, options: { padding: false; truncation: boolean; maxLength?: number }): { inputIds: number[][] };
}

export interface EncodeTextBlocksOptions {
  /** Tokens per row (run_clm's block_size). */
  readonly blockSize: number;
  readonly padId: number;
  /** One row per line, truncated to blockSize, instead of lines packed into blocks. */
  readonly lineByLine: boolean;
}

/**
 * Continued pretraining on plain text, as run_clm: every line tokenized as the tokenizer does it
 * (`tokenizer(text)`, its special tokens included), the ids concatenated and cut into blocks of
 * blockSize (group_texts); labels are the ids (the model shifts them). A last, shorter block is
 * kept where run_clm drops it (dynamic padding makes it cheap). line_by_line: one row per line.
 */
export function encodeTextBlocks(texts: readonly string[], tokenizer: CausalTextTokenizer, options: EncodeTextBlocksOptions): EncodedDataset {
  const { blockSize } = options;
  if (!Number.isInteger(blockSize) || blockSize < 2) throw new DataError('DATA_BAD_ARGUMENT', `causal LM: block_size must be at least 2 (one token and the next to predict), got ${blockSize}.`);
  const rows: CausalRow[] = [];
  let pending: number[] = [];
  for (const encoded of encodeTextChunks(texts, tokenizer, options.lineByLine, blockSize)) {
    for (const ids of encoded.inputIds) {
      if (options.lineByLine) {
        if (ids.length > 0) rows.push({ ids: [...ids], labels: [...ids] });
        continue;
      }
      pending = pending.concat(ids);
      while (pending.length >= blockSize) {
        const block = pending.slice(0, blockSize);
        rows.push({ ids: block, labels: block });
        pending = pending.slice(blockSize);
      }
    }
  }
  if (pending.length > 1) rows.push({ ids: pending, labels: pending });
  return causalDataset(rows, options.padId);
}
