import type { BadRow } from '../data-error.ts';
import type { Example } from '../read-examples.ts';
import { sortedLines } from './normalize-text.ts';
import type { LengthReport, TokenLengthPercentiles } from './quality-report.ts';
import type { TokenCounter } from './token-counter.ts';

export interface LengthOptions {
  readonly minWords: number;
  /** With `countTokens`: report token lengths and the examples longer than this. */
  readonly maxSeqLength?: number;
  readonly countTokens?: TokenCounter;
}

/** Empty, very short and over-long texts of one split. */
export function textLengths(examples: readonly Example[], badRows: readonly BadRow[], options: LengthOptions): LengthReport {
  const emptyLines = badRows.filter((row) => row.reason.startsWith('empty text')).map((row) => row.line);
  // A pair counts as one text: a two-word hypothesis is ordinary, a two-word premise and hypothesis are not.
  const shortLines = examples
    .filter((example) => wordCount(example.text) + (example.textPair === undefined ? 0 : wordCount(example.textPair)) < options.minWords)
    .map((example) => example.line);
  const report: LengthReport = {
    empty: { count: emptyLines.length, lines: sortedLines(emptyLines) },
    veryShort: { count: shortLines.length, lines: sortedLines(shortLines) },
  };
  const { countTokens, maxSeqLength } = options;
  if (countTokens === undefined || maxSeqLength === undefined || examples.length === 0) return report;
  const lengths = examples.map((example) => countTokens(example.text, example.textPair));
  const truncatedLines = examples.filter((_, i) => lengths[i]! > maxSeqLength).map((example) => example.line);
  return {
    ...report,
    tokens: {
      percentiles: percentiles(lengths),
      truncated: { count: truncatedLines.length, share: truncatedLines.length / examples.length, lines: sortedLines(truncatedLines) },
    },
  };
}

export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Nearest-rank percentiles: the smallest length with at least p% of examples at or below it. */
export function percentiles(values: readonly number[]): TokenLengthPercentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: rank(50), p90: rank(90), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1]! };
}
