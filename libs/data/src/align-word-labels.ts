import { IGNORE_INDEX } from '@tunefleet/core';
import { DataError } from './data-error.ts';

/**
 * Per-token labels for token classification: the word's label on the first sub-token of each
 * word, -100 on its other sub-tokens and on special tokens (`wordIds[i] === null`).
 * `wordIds` come from the tokenizer (one per token); `wordLabelIds[w]` is word w's label id.
 */
export function alignWordLabels(wordIds: readonly (number | null)[], wordLabelIds: readonly number[]): number[] {
  let previous: number | null = null;
  return wordIds.map((wordId, position) => {
    if (wordId === null) {
      previous = null;
      return IGNORE_INDEX;
    }
    if (!Number.isInteger(wordId) || wordId < 0 || wordId >= wordLabelIds.length) {
      throw new DataError(
        'DATA_BAD_ARGUMENT',
        `alignWordLabels: wordIds[${position}] = ${wordId} but there are ${wordLabelIds.length} word labels.`,
      );
    }
    const isFirstSubToken = wordId !== previous;
    previous = wordId;
    return isFirstSubToken ? wordLabelIds[wordId] : IGNORE_INDEX;
  });
}
