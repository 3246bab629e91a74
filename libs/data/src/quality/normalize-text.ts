import type { Example } from '../read-examples.ts';

/** Lower case, whitespace runs as one space, trimmed: "The  Film\t" and "the film" are one text. */
export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * The key two rows share when they are "the same text": the normalised text, and for a pair task
 * the normalised pair after a tab (normalising turns every tab into a space, so the join is unambiguous).
 */
export function exampleKey(example: Example): string {
  const text = normalizeText(example.text);
  return example.textPair === undefined ? text : `${text}\t${normalizeText(example.textPair)}`;
}

// 200 characters: enough to recognise a row in a report, short enough that a report of a large
// dataset stays readable.
const MAX_SHOWN_CHARACTERS = 200;

/** The row as a report shows it: pairs joined by " [SEP] ", cut to 200 characters. */
export function shownText(example: Example): string {
  const text = example.textPair === undefined ? example.text : `${example.text} [SEP] ${example.textPair}`;
  return text.length <= MAX_SHOWN_CHARACTERS ? text : `${text.slice(0, MAX_SHOWN_CHARACTERS - 1)}…`;
}

/** Lines as a report lists them: ascending. */
export function sortedLines(lines: Iterable<number>): number[] {
  return [...lines].sort((a, b) => a - b);
}
