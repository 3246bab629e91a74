import { DataError } from '../data-error.ts';
import { EncodedDataset } from '../encoded-dataset.ts';
import type { Example } from '../read-examples.ts';
import { windowSpans, type LongTextStrategy } from './long-text-windows.ts';

/** What long texts need of a tokenizer: untruncated single texts, special tokens at both ends. */
export interface UntruncatedTokenizer {
  encodeBatch(
    texts: string[],
    pairs: undefined,
    options: { padding: false; truncation: false },
  ): { inputIds: number[][]; tokenTypeIds: number[][] };
}

export interface LongTextOptions {
  /** Tokens per row, special tokens included (max_seq_length). */
  readonly maxLength: number;
  readonly padId: number;
  readonly strategy: LongTextStrategy;
  /** Overlap of consecutive windows, in tokens (sliding-window only). */
  readonly stride: number;
}

/** Rows of a long-text dataset and the document each row came from. */
export interface LongTextDataset {
  readonly dataset: EncodedDataset;
  /** `documentOf[row]`: the index of the example (document) the row is a window of. */
  readonly documentOf: Int32Array;
  readonly documents: number;
  /** Each document's label id; absent without labels. */
  readonly documentLabels?: Int32Array;
}

// Examples per tokenizer call, as encodeExamples: amortises the call, keeps memory flat.
const CHUNK_SIZE = 1024;

/**
 * Tokenizes every text in full, then keeps the tokens `strategy` chooses (a head, a tail, both, or
 * every window) between the text's own first and last special tokens ([CLS] ... [SEP], <s> ... </s>).
 * Windows carry their document's label. Single texts only: a text pair has no one way to be windowed.
 */
export function encodeLongTexts(examples: readonly Example[], tokenizer: UntruncatedTokenizer, options: LongTextOptions): LongTextDataset {
  const paired = examples.find((example) => example.textPair !== undefined);
  if (paired !== undefined) {
    throw new DataError('DATA_BAD_ARGUMENT', `long texts: the example from line ${paired.line} is a text pair; --long-text-strategy reads single texts (drop --text-pair-column).`);
  }
  const budget = options.maxLength - 2;
  const hasLabels = examples.length > 0 && examples[0]!.labelId !== undefined;
  const inputIds: number[][] = [];
  const documentOf: number[] = [];
  for (let start = 0; start < examples.length; start += CHUNK_SIZE) {
    const chunk = examples.slice(start, start + CHUNK_SIZE);
    const encoded = tokenizer.encodeBatch(chunk.map((example) => example.text), undefined, { padding: false, truncation: false });
    encoded.inputIds.forEach((ids, i) => {
      const [first, last] = [ids[0]!, ids[ids.length - 1]!];
      const content = ids.slice(1, -1);
      const spans = windowSpans(content.length, budget, options.strategy, options.stride);
      const rows = options.strategy === 'head-tail' && spans.length === 2 ? [[...content.slice(...spans[0]!), ...content.slice(...spans[1]!)]] : spans.map((span) => content.slice(...span));
      for (const row of rows) {
        inputIds.push([first, ...row, last]);
        documentOf.push(start + i);
      }
    });
  }
  const documentLabels = hasLabels ? Int32Array.from(examples, (example) => example.labelId as number) : undefined;
  const labels = documentLabels ? documentOf.map((doc) => documentLabels[doc]!) : undefined;
  const dataset = new EncodedDataset(
    {
      inputIds,
      attentionMask: inputIds.map((ids) => new Array<number>(ids.length).fill(1)),
      tokenTypeIds: inputIds.map((ids) => new Array<number>(ids.length).fill(0)),
      ...(labels ? { labels } : {}),
    },
    options.padId,
  );
  return { dataset, documentOf: Int32Array.from(documentOf), documents: examples.length, ...(documentLabels ? { documentLabels } : {}) };
}

/**
 * A document's logits as the mean of its windows' logits: `logits` is `[rows, numLabels]` in row
 * order, the result `[documents, numLabels]`. A document without rows is an error.
 */
export function averageWindowLogits(logits: Float32Array, numLabels: number, documentOf: Int32Array, documents: number): Float32Array {
  if (logits.length !== documentOf.length * numLabels) {
    throw new DataError('DATA_BAD_ARGUMENT', `averageWindowLogits: ${logits.length / numLabels} rows of logits for ${documentOf.length} windows.`);
  }
  const sums = new Float64Array(documents * numLabels);
  const counts = new Int32Array(documents);
  documentOf.forEach((doc, row) => {
    counts[doc]! += 1;
    for (let k = 0; k < numLabels; k++) sums[doc * numLabels + k]! += logits[row * numLabels + k]!;
  });
  const empty = counts.findIndex((count) => count === 0);
  if (empty >= 0) throw new DataError('DATA_BAD_ARGUMENT', `averageWindowLogits: document ${empty} has no windows.`);
  return Float32Array.from(sums, (sum, i) => sum / counts[Math.floor(i / numLabels)]!);
}
