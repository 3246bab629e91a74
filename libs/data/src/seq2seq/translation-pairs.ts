import type { BadRow } from '../data-error.ts';

/** One source/target pair and the 1-based line it came from (the same line in both aligned files). */
export interface TranslationPair {
  readonly line: number;
  readonly source: string;
  readonly target: string;
}

/** Pairs read from line-aligned files (`sourceFile` != `targetFile`) or one JSONL file (both the same). */
export interface TranslationPairSet {
  readonly sourceFile: string;
  readonly targetFile: string;
  readonly pairs: readonly TranslationPair[];
  /** Rows dropped with skipBadRows (empty when it is off: they fail the read instead). */
  readonly badRows: readonly BadRow[];
}

/** How a set names its files in messages: `a.en + a.de`, or the one JSONL file. */
export function pairSetName(set: Pick<TranslationPairSet, 'sourceFile' | 'targetFile'>): string {
  return set.sourceFile === set.targetFile ? set.sourceFile : `${set.sourceFile} + ${set.targetFile}`;
}
