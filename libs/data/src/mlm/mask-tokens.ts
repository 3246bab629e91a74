import { IGNORE_INDEX, mixSeed, mulberry32 } from '@tunefleet/core';

export interface MaskingOptions {
  /** Share of (non-special) tokens, or of words with whole-word masking, selected for prediction: HF's mlm_probability. */
  readonly mlmProbability: number;
  /** Select whole words: every sub-token of a selected word is predicted (HF's DataCollatorForWholeWordMask). */
  readonly wholeWordMask: boolean;
  readonly maskTokenId: number;
  /** Random replacements are drawn uniformly from [0, vocabSize), as HF's collator draws them. */
  readonly vocabSize: number;
}

/** One row to mask: its ids, which positions are special tokens, and each token's word (for whole words). */
export interface MaskableRow {
  readonly inputIds: Int32Array;
  /** 1 where the token is special ([CLS], [SEP], padding): never selected. */
  readonly isSpecial: Uint8Array;
  /** A word key per token (equal for the sub-tokens of one word); -1 for special tokens. */
  readonly wordKeys: Int32Array;
}

/**
 * HF's DataCollatorForLanguageModeling for one row, drawn from a generator seeded by
 * (seed, epoch, example): each non-special token (or word) is selected with mlmProbability; a selected
 * token becomes [MASK] with probability 0.8, a random token with 0.1, and stays itself with 0.1; its
 * label is its original id, every other label -100. A row with no selection gets one selected token
 * (a uniformly drawn non-special position), so every row takes loss: HF leaves such a row without loss.
 * The same (seed, epoch, example) always gives the same masks, so W ranks mask as one process does.
 */
export function maskRow(row: MaskableRow, options: MaskingOptions, seed: number, epoch: number, example: number): { inputIds: Int32Array; labels: Int32Array } {
  const random = mulberry32(mixSeed(seed, epoch, example));
  const n = row.inputIds.length;
  const isSelected = new Uint8Array(n);
  if (options.wholeWordMask) {
    const wordSelected = new Map<number, boolean>();
    for (let i = 0; i < n; i++) {
      if (row.isSpecial[i]) continue;
      const key = row.wordKeys[i]!;
      if (!wordSelected.has(key)) wordSelected.set(key, random() < options.mlmProbability);
      isSelected[i] = wordSelected.get(key) ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) if (!row.isSpecial[i] && random() < options.mlmProbability) isSelected[i] = 1;
  }
  if (!isSelected.includes(1)) {
    const candidates = [...row.isSpecial.keys()].filter((i) => !row.isSpecial[i]);
    if (candidates.length > 0) isSelected[candidates[Math.floor(random() * candidates.length)]!] = 1;
  }
  const inputIds = Int32Array.from(row.inputIds);
  const labels = new Int32Array(n).fill(IGNORE_INDEX);
  for (let i = 0; i < n; i++) {
    if (!isSelected[i]) continue;
    labels[i] = row.inputIds[i]!;
    const action = random();
    if (action < 0.8) inputIds[i] = options.maskTokenId;
    else if (action < 0.9) inputIds[i] = Math.floor(random() * options.vocabSize);
  }
  return { inputIds, labels };
}
