import { DataError } from '../data-error.ts';

/**
 * What a run does with a text longer than max_seq_length (special tokens included):
 * - `head`: keep its first tokens (the tokenizer's truncation; the default);
 * - `tail`: keep its last tokens;
 * - `head-tail`: keep the first quarter and the last three quarters of the budget (Sun et al. 2019,
 *   "How to Fine-Tune BERT for Text Classification": 128 + 382 of 510);
 * - `sliding-window`: every window of the text, consecutive windows overlapping by `stride` tokens;
 *   each window is a training row labelled with its document's label, and a document's logits are
 *   the mean of its windows' logits at evaluation and prediction.
 */
export const LONG_TEXT_STRATEGIES = ['head', 'tail', 'head-tail', 'sliding-window'] as const;
export type LongTextStrategy = (typeof LONG_TEXT_STRATEGIES)[number];

/**
 * The token slices of one text's content (special tokens excluded) for `budget` content tokens per
 * row: `[start, end)` pairs into the content, one for the truncations, one or more for windows.
 */
export function windowSpans(length: number, budget: number, strategy: LongTextStrategy, stride: number): [number, number][] {
  checkWindowSettings(budget, stride, strategy);
  if (length <= budget) return [[0, length]];
  switch (strategy) {
    case 'head':
      return [[0, budget]];
    case 'tail':
      return [[length - budget, length]];
    case 'head-tail': {
      const head = Math.floor(budget / 4);
      return [[0, head], [length - (budget - head), length]];
    }
    case 'sliding-window': {
      const spans: [number, number][] = [];
      const step = budget - stride;
      for (let start = 0; ; start += step) {
        const end = Math.min(start + budget, length);
        spans.push([start, end]);
        if (end === length) break;
      }
      return spans;
    }
  }
}

function checkWindowSettings(budget: number, stride: number, strategy: LongTextStrategy): void {
  if (!Number.isInteger(budget) || budget < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `long texts: max_seq_length leaves ${budget} tokens besides the special tokens; raise --max-seq-length.`);
  }
  if (strategy === 'sliding-window' && (!Number.isInteger(stride) || stride < 0 || stride >= budget)) {
    throw new DataError(
      'DATA_BAD_ARGUMENT',
      `long texts: --stride ${stride} must be an integer in [0, ${budget - 1}] (windows of ${budget} tokens besides the special tokens overlap by stride tokens).`,
    );
  }
}
