/** Lines per tokenizer call: amortises the call, keeps memory flat. */
const CHUNK_SIZE = 1024;

/** A tokenizer's batch call as the language-model encoders use it: texts alone, no padding. */
export interface TextBatchTokenizer<Encoded> {
  encodeBatch(texts: string[], pairs: undefined, options: { maxLength?: number; padding: false; truncation: boolean }): Encoded;
}

/**
 * `texts` tokenized CHUNK_SIZE lines a call, each with the tokenizer's special tokens, in order:
 * line_by_line truncates every line to `maxLength`; packing (run_clm's and run_mlm's group_texts)
 * keeps lines whole, to be concatenated and cut into blocks by the caller.
 */
export function* encodeTextChunks<Encoded>(texts: readonly string[], tokenizer: TextBatchTokenizer<Encoded>, lineByLine: boolean, maxLength: number): Generator<Encoded> {
  for (let start = 0; start < texts.length; start += CHUNK_SIZE) {
    const chunk = [...texts.slice(start, start + CHUNK_SIZE)];
    yield lineByLine
      ? tokenizer.encodeBatch(chunk, undefined, { maxLength, padding: false, truncation: true })
      : tokenizer.encodeBatch(chunk, undefined, { padding: false, truncation: false });
  }
}
