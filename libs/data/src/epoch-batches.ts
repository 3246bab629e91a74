import { DataError } from './data-error.ts';
import type { EncodedBatch, EncodedDataset } from './encoded-dataset.ts';
import { permutation } from './permutation.ts';

export interface EpochOptions {
  readonly shuffle: boolean;
  readonly seed: number;
  readonly epoch: number;
  /** Drop a last batch smaller than `batchSize` (Hugging Face's dataloader_drop_last); default false. */
  readonly dropLast?: boolean;
  /**
   * Hugging Face's group_by_length: the shuffled order is regrouped so that batches hold examples
   * of similar length (`lengthGroupedOrder`), with this batch size for the mega-batches. The
   * Trainer passes the global batch (per-device x world size x accumulation), so a data-parallel
   * run reads the same batches as one process with that batch. Unset: plain shuffled order.
   */
  readonly lengthGroupSize?: number;
}

/**
 * Hugging Face's get_length_grouped_indices over `order` (the epoch's permutation): cut it into
 * mega-batches of min(floor(n / (4 * batchSize)), 50) (at least 1) batches, sort each by length,
 * longest first (stable), and swap the longest example of all to the very front, so an
 * out-of-memory batch shows up first. Returns a new permutation.
 */
export function lengthGroupedOrder(order: Int32Array, lengthOf: (index: number) => number, batchSize: number): Int32Array {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `group_by_length batch size must be a positive integer, got ${batchSize}.`);
  }
  const n = order.length;
  const megaBatchSize = Math.max(1, Math.min(Math.floor(n / (batchSize * 4)), 50)) * batchSize;
  const out = new Int32Array(n);
  let longestStart = 0;
  for (let start = 0; start < n; start += megaBatchSize) {
    const mega = Array.from(order.subarray(start, Math.min(n, start + megaBatchSize)));
    mega.sort((a, b) => lengthOf(b) - lengthOf(a)); // Array#sort is stable
    out.set(mega, start);
    if (lengthOf(mega[0]!) > lengthOf(out[longestStart]!)) longestStart = start;
  }
  if (n > 0) [out[0], out[longestStart]] = [out[longestStart]!, out[0]!];
  return out;
}

/** The epoch's example order: shuffled by (seed, epoch) or not, then grouped by length if asked. */
export function epochOrder(size: number, options: EpochOptions, lengthOf?: (index: number) => number): Int32Array {
  const order = options.shuffle ? permutation(size, options.seed, options.epoch) : Int32Array.from({ length: size }, (_, i) => i);
  if (options.lengthGroupSize === undefined) return order;
  if (lengthOf === undefined) throw new DataError('DATA_BAD_ARGUMENT', 'group_by_length needs the examples\' lengths.');
  return lengthGroupedOrder(order, lengthOf, options.lengthGroupSize);
}

/** The example indices of each batch of one epoch, in order (shuffled by (seed, epoch) if asked). */
export function batchIndicesForEpoch(size: number, batchSize: number, options: EpochOptions, lengthOf?: (index: number) => number): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}.`);
  }
  const order = epochOrder(size, options, lengthOf);
  const batches: Int32Array[] = [];
  for (let start = 0; start < size; start += batchSize) {
    const batch = order.subarray(start, Math.min(start + batchSize, size));
    if (batch.length < batchSize && options.dropLast) break;
    batches.push(batch);
  }
  return batches;
}

/** The batches of one epoch, collated lazily (one batch in memory at a time). */
export function batchesForEpoch(dataset: EncodedDataset, batchSize: number, options: EpochOptions): Generator<EncodedBatch> {
  return dataset.batches({ ...options, batchSize });
}
