import type { ModelBatch } from '@tunefleet/model';

export interface BatchOptions {
  readonly epoch: number;
  readonly batchSize: number;
  /** Training shuffles by (seed, epoch) so every rank and every resumed run sees the same order. */
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** group_by_length: regroup the shuffled order by example length with this (global) batch size; unset: off. */
  readonly lengthGroupSize?: number;
}

/** A dataset as the Trainer sees it; libs/data produces structurally compatible sources. */
export interface BatchSource {
  /** Number of examples (on this rank). */
  readonly size: number;
  batches(options: BatchOptions): Iterable<ModelBatch>;
}

/** Batches one epoch yields, as a DataLoader's len(). */
export function batchesPerEpoch(size: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}
