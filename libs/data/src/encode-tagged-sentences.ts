import { alignWordLabels } from './align-word-labels.ts';
import { DataError } from './data-error.ts';
import { EncodedDataset } from './encoded-dataset.ts';
import type { LabelMap } from './label-map.ts';
import type { TaggedSentence } from './read-conll.ts';

/** What token classification needs of a tokenizer: pre-split words in, word ids out. */
export interface WordTokenizer {
  encodeWords(
    words: string[][],
    options: { maxLength: number; padding: false; truncation: true },
  ): { inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; wordIds: (number | null)[][] };
}

export interface EncodeTaggedOptions {
  readonly maxLength: number;
  readonly padId: number;
  /**
   * Hugging Face run_ner's `label_all_tokens`: every sub-token of a word carries a label, the
   * word's tag on the first and, on the others, its I- form (`B-loc` -> `I-loc`, when the map has
   * it). Needs `labelMap`. Default false: only first sub-tokens are labelled.
   */
  readonly labelAllTokens?: boolean;
  readonly labelMap?: LabelMap;
}

/**
 * Tokenizes tagged sentences once; each token's label is its word's tag id on the word's first
 * sub-token and -100 elsewhere (`alignWordLabels`), or on every sub-token with `labelAllTokens`.
 * Words cut off by truncation take no loss.
 */
export function encodeTaggedSentences(
  sentences: readonly TaggedSentence[],
  tokenizer: WordTokenizer,
  options: EncodeTaggedOptions,
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
  const continuation = options.labelAllTokens ? continuationIds(options) : undefined;
  const labels = encoded.wordIds.map((wordIds, i) => {
    const firsts = alignWordLabels(wordIds, sentences[i].tagIds);
    if (continuation === undefined) return firsts;
    // Every sub-token of word w after its first: the I- form of the word's tag.
    return firsts.map((label, position) => {
      const wordId = wordIds[position];
      return wordId === null || position === 0 || wordIds[position - 1] !== wordId ? label : (continuation.get(sentences[i].tagIds[wordId]) ?? sentences[i].tagIds[wordId]);
    });
  });
  return new EncodedDataset({ ...encoded, labels }, options.padId);
}

/** Tag id -> the id of its I- form (`B-x` -> `I-x`), for the tags whose I- form is in the map. */
function continuationIds(options: EncodeTaggedOptions): Map<number, number> {
  const map = options.labelMap;
  if (map === undefined) throw new DataError('DATA_BAD_ARGUMENT', 'encodeTaggedSentences: labelAllTokens needs the labelMap (for B- -> I- tags).');
  const out = new Map<number, number>();
  for (const [tag, id] of Object.entries(map.label2id)) {
    const inside = tag.startsWith('B-') ? map.label2id[`I-${tag.slice(2)}`] : undefined;
    if (inside !== undefined) out.set(id, inside);
  }
  return out;
}
