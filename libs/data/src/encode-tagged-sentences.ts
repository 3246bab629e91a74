import { alignWordLabels } from './align-word-labels.ts';
import { DataError } from './data-error.ts';
import { EncodedDataset } from './encoded-dataset.ts';
import type { TaggedSentence } from './read-conll.ts';

/** What token classification needs of a tokenizer: pre-split words in, word ids out. */
export interface WordTokenizer {
  encodeWords(
    words: string[][],
    options: { maxLength: number; padding: false; truncation: true },
  ): { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; wordIds: (number | null)[][] };
}

/**
 * Tokenizes tagged sentences once; each token's label is its word's tag id on the word's first
 * sub-token and -100 elsewhere (`alignWordLabels`). Words cut off by truncation take no loss.
 */
export function encodeTaggedSentences(
  sentences: readonly TaggedSentence[],
  tokenizer: WordTokenizer,
  options: { readonly maxLength: number; readonly padId: number },
): EncodedDataset {
  if (!Number.isInteger(options.maxLength) || options.maxLength < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `encodeTaggedSentences: maxLength must be a positive integer, got ${options.maxLength}.`);
  }
  const encoded = tokenizer.encodeWords(
    sentences.map((sentence) => [...sentence.words]),
    { maxLength: options.maxLength, padding: false, truncation: true },
  );
  if (encoded.wordIds.length !== sentences.length) {
    throw new DataError('DATA_BAD_ARGUMENT', `encodeTaggedSentences: the tokenizer returned ${encoded.wordIds.length} rows for ${sentences.length} sentences.`);
  }
  const labels = encoded.wordIds.map((wordIds, i) => alignWordLabels(wordIds, sentences[i].tagIds));
  return new EncodedDataset({ ...encoded, labels }, options.padId);
}
