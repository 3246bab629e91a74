/**
 * Lengths to keep of a pair under Hugging Face's `longest_first` strategy, exactly as the Rust
 * `tokenizers` crate computes them (`truncate_encodings`): the shorter sequence is kept whole when
 * the longer one can absorb the cut, otherwise both get half of `maxTokens` (the second one the odd
 * token). `maxTokens` excludes the special tokens.
 */
export function longestFirstLengths(firstLength: number, secondLength: number, maxTokens: number): [number, number] {
  if (firstLength + secondLength <= maxTokens) return [firstLength, secondLength];
  const isSwapped = firstLength > secondLength;
  let n1 = isSwapped ? secondLength : firstLength;
  let n2: number;
  n2 = n1 > maxTokens ? n1 : Math.max(n1, maxTokens - n1);
  if (n1 + n2 > maxTokens) {
    n1 = Math.floor(maxTokens / 2);
    n2 = n1 + (maxTokens % 2);
  }
  return isSwapped ? [n2, n1] : [n1, n2];
}

/** A tokenized sequence before special tokens: ids and, per token, the index of its word. */
export interface TokenSequence {
  readonly ids: readonly number[];
  readonly wordIds: readonly number[];
}

function keepFirst(sequence: TokenSequence, length: number): TokenSequence {
  if (sequence.ids.length <= length) return sequence;
  return { ids: sequence.ids.slice(0, length), wordIds: sequence.wordIds.slice(0, length) };
}

/** Truncates from the right so that the sequence(s) fit `maxTokens` (special tokens excluded). */
export function truncateSequences(
  first: TokenSequence,
  second: TokenSequence | undefined,
  maxTokens: number,
): [TokenSequence, TokenSequence | undefined] {
  if (second === undefined) return [keepFirst(first, maxTokens), undefined];
  const [n1, n2] = longestFirstLengths(first.ids.length, second.ids.length, maxTokens);
  return [keepFirst(first, n1), keepFirst(second, n2)];
}
