/** A word of a plain-text line and where it sits: `text.slice(start, end) === word`. */
export interface OffsetWord {
  readonly word: string;
  /** Character offsets (UTF-16 code units, as JavaScript strings index) into the line; end exclusive. */
  readonly start: number;
  readonly end: number;
}

// A run of letters, digits, marks, `_`, `@`, `#` (tweets' handles and hashtags stay one word) and inner
// apostrophes, or one other non-space character: close to how CoNLL/WNUT files are tokenized.
const WORD = /[\p{L}\p{N}\p{M}_@#]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}_@#]/gu;

/**
 * Splits a plain-text line into words for token classification, keeping each word's character
 * offsets so predicted entities can point back into the text.
 */
export function splitWordsWithOffsets(text: string): OffsetWord[] {
  return Array.from(text.matchAll(WORD), (match) => ({ word: match[0], start: match.index, end: match.index + match[0].length }));
}
