import { DataError } from './data-error.ts';
import type { EncodedBatch, EncodedDataset } from './encoded-dataset.ts';
import { permutation } from './permutation.ts';

export interface EpochOptions {
  readonly shuffle: boolean;
  readonly seed: number;
  readonly epoch: number;
  /** Drop a last batch smaller than `batchSize` (Hugging Face's dataloader_drop_last); default false. */
  readonly dropLast?: boolean;
}

/** The example indices of each batch of one epoch, in order (shuffled by (seed, epoch) if asked). */
export function batchIndicesForEpoch(size: number, batchSize: number, options: EpochOptions): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DataError('DATA_BAD_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}.`);
  }
  const order = options.shuffle ? permutation(size, options.seed, options.epoch) : Int32Array.from({ length: size }, (_, i) => i);
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
