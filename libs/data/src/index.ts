/**
 * @tunefleet/data: datasets on disk -> examples -> token ids -> batches for the Trainer.
 *
 * Reading (every bad row is reported as `file:line: reason`; by default one DataError with code
 * DATA_INVALID_ROWS lists them all, with `skipBadRows: true` they are dropped and returned):
 * - `readExamples(file, options)`  CSV / TSV / JSONL text (or text pair) classification examples.
 * - `readConll(file, options)`     `token<TAB>tag` sentences for token classification.
 * - `readTextLines(file)`          prediction input, one text per line.
 *
 * Labels: `buildLabelMap(labels)` (integer-like labels sort numerically, others as strings) or
 * `labelMapFrom(config.label2id)`; both give `{ label2id, id2label }` as config.json stores them.
 *
 * Batching: `encodeExamples(examples, tokenizer, { maxLength, padId })` tokenizes once into an
 * `EncodedDataset`; `dataset.batch(indices)` collates any subset (a rank's shard too) with dynamic
 * padding into a `ModelBatch`-shaped `EncodedBatch`; `batchesForEpoch` / `batchIndicesForEpoch`
 * order an epoch with the deterministic `permutation(n, seed, epoch)`. `dataset.batches(options)`
 * makes an `EncodedDataset` a trainer `BatchSource` as it is.
 * Data parallel: `new ShardedBatchSource(dataset, { rank, worldSize })` yields this rank's slice of
 * each global micro-batch (`shardedBatchIndices`), empty slices included, so W ranks read what one
 * rank with batch B*W reads and every example of an epoch is used exactly once across ranks.
 * Token classification: `encodeTaggedSentences(readConll(...).sentences, tokenizer, options)` labels
 * the first sub-token of each word (`alignWordLabels`) and -100 elsewhere.
 * Long texts: `encodeLongTexts` keeps a head, a tail, both, or every sliding window (rows carry
 * their document's label; `averageWindowLogits` gives a document the mean of its windows' logits).
 * Masked LM: `encodeMaskedLmTexts` (lines or packed blocks) gives a `MaskedLmDataset` whose batches
 * are masked per (seed, epoch, example) (`maskRow`, HF's 15% / 80-10-10).
 * Translation: `readParallelFiles` (line-aligned .en/.de) or `readTranslationJsonl`, then
 * `encodeTranslationPairs` gives a `Seq2SeqDataset` (labels -100 on padding, decoder inputs shifted right).
 * Causal LM: `readConversations` (TRL's chat JSONL) + `loadChatTemplate` (the model's jinja chat template,
 * ChatML by default) + `encodeConversations` (labels on assistant turns, truncation, packing), or
 * `encodeTextBlocks` (plain text in blocks or lines, run_clm).
 * Tokenizers are seen through the structural `BatchTokenizer` / `WordTokenizer` interfaces.
 */
export { DataError, formatBadRow, MAX_LISTED_BAD_ROWS, type BadRow, type DataErrorCode } from './data-error.ts';
export type { DataFormat } from './raw-file.ts';
export { buildLabelMap, labelMapFrom, labelNames, type LabelMap } from './label-map.ts';
export { readExamples, type Example, type ExampleSet, type ReadExamplesOptions } from './read-examples.ts';
export { readConll, type ReadConllOptions, type TaggedSentence, type TaggedSentenceSet } from './read-conll.ts';
export { readTextLines } from './read-text-lines.ts';
export { alignWordLabels } from './align-word-labels.ts';
// Hugging Face's ignore_index, defined once in libs/core; re-exported for data users.
export { IGNORE_INDEX } from '@tunefleet/core';
export { permutation } from './permutation.ts';
export { EncodedDataset, type EncodedBatch, type EncodedRows } from './encoded-dataset.ts';
export { encodeExamples, type BatchTokenizer, type EncodeOptions } from './encode-examples.ts';
export { batchesForEpoch, batchIndicesForEpoch, epochOrder, lengthGroupedOrder, type EpochOptions } from './epoch-batches.ts';
export { encodeTaggedSentences, type EncodeTaggedOptions, type WordTokenizer } from './encode-tagged-sentences.ts';
export { splitWordsWithOffsets, type OffsetWord } from './read-conll-words.ts';
export * from './long-text/index.ts';
export * from './mlm/index.ts';
export * from './seq2seq/index.ts';
export * from './causal/index.ts';
export {
  emptyBatch,
  globalMicroBatchesPerEpoch,
  shardedBatchIndices,
  ShardedBatchSource,
  type ShardSpec,
} from './sharded-batch-source.ts';
export * from './quality/index.ts';
