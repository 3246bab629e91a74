/**
 * Translation data (seq2seq): line-aligned source/target files (`readParallelFiles`, Multi30k's
 * layout, `.gz` too) or run_translation's JSONL (`readTranslationJsonl`, `{"translation": {...}}`
 * by language key), tokenized by `encodeTranslationPairs` into a `Seq2SeqDataset` whose batches
 * carry labels (-100 on padding) and shifted-right decoder inputs (DataCollatorForSeq2Seq).
 */
export { TranslationDataError, type TranslationDataErrorCode } from './translation-data-error.ts';
export { pairSetName, type TranslationPair, type TranslationPairSet } from './translation-pairs.ts';
export { readTextFileLines, type TextFileLines } from './text-file-lines.ts';
export { readParallelFiles, type ReadParallelOptions } from './read-parallel-files.ts';
export { readTranslationJsonl, type ReadTranslationJsonlOptions } from './read-translation-jsonl.ts';
export { Seq2SeqDataset, type Seq2SeqBatch, type Seq2SeqRows } from './seq2seq-dataset.ts';
export {
  encodeTranslationPairs,
  targetTextEncoderOf,
  textEncoderOf,
  type EncodedTranslations,
  type EncodeTexts,
  type EncodeTranslationOptions,
  type OnLongTarget,
  type TargetBatchTokenizer,
  type TextBatchTokenizer,
} from './encode-translation-pairs.ts';
