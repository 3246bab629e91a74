import { DataError } from './data-error.ts';
import type { EncodedBatch, EncodedDataset } from './encoded-dataset.ts';
import { epochOrder, type EpochOptions } from './epoch-batches.ts';

/** This process's place among the data-parallel ranks. */
export interface ShardSpec {
  readonly rank: number;
  readonly worldSize: number;
}

/** Global micro-batches of `worldSize * batchSize` examples in one epoch; every rank yields this many. */
export function globalMicroBatchesPerEpoch(size: number, batchSize: number, worldSize: number, dropLast: boolean): number {
  const globalBatch = batchSize * worldSize;
  return dropLast ? Math.floor(size / globalBatch) : Math.ceil(size / globalBatch);
}

/**
 * This rank's example indices for each global micro-batch of one epoch. The rule, the same on every
 * rank: order = permutation(size, seed, epoch) (identity without shuffle), regrouped by length
 * with group_by_length (`lengthGroupedOrder`, from the lengths every rank has); global micro-batch j is
 * order[j*B*W, min((j+1)*B*W, size)); of its L examples rank r takes the contiguous slice
 * [floor(r*L/W), floor((r+1)*L/W)). Full micro-batches give every rank exactly B examples; a final
 * partial one gives sizes differing by at most one, and EMPTY slices when L < W (the rank still
 * yields it, so it still joins that step's all-reduce). Across the ranks every example of the epoch
 * is used exactly once (unless dropLast drops the final partial micro-batch), and the sequence of
 * global micro-batches is exactly what one rank with batch size B*W reads.
 */
export function shardedBatchIndices(
  size: number,
  batchSize: number,
  shard: ShardSpec,
  options: EpochOptions,
  lengthOf?: (index: number) => number,
): Int32Array[] {
  checkShard(size, batchSize, shard);
  const { rank, worldSize } = shard;
  const order = epochOrder(size, options, lengthOf);
  const globalBatch = batchSize * worldSize;
  const count = globalMicroBatchesPerEpoch(size, batchSize, worldSize, options.dropLast ?? false);
  const slices: Int32Array[] = [];
  for (let j = 0; j < count; j++) {
    const start = j * globalBatch;
    const length = Math.min(globalBatch, size - start);
    slices.push(order.subarray(start + Math.floor((rank * length) / worldSize), start + Math.floor(((rank + 1) * length) / worldSize)));
  }
  return slices;
}

/**
 * One rank's view of an `EncodedDataset`, structurally a trainer `BatchSource`: `batches()` yields
 * one batch per global micro-batch (see `shardedBatchIndices`), an empty one (batchSize 0) when this
 * rank's slice is empty. `batchesPerEpoch` tells the Trainer how many that is, so every rank plans
 * the same number of optimizer steps. `batchSize` in the options is the per-device batch size.
 */
export class ShardedBatchSource {
  /** Examples this rank holds per epoch (its share of the dataset; exact without dropLast). */
  readonly size: number;

  constructor(
    readonly dataset: EncodedDataset,
    readonly shard: ShardSpec,
  ) {
    checkShard(dataset.size, 1, shard);
    const { rank, worldSize } = shard;
    this.size = Math.floor(((rank + 1) * dataset.size) / worldSize) - Math.floor((rank * dataset.size) / worldSize);
  }

  batchesPerEpoch(batchSize: number, dropLast: boolean): number {
    checkShard(this.dataset.size, batchSize, this.shard);
    return globalMicroBatchesPerEpoch(this.dataset.size, batchSize, this.shard.worldSize, dropLast);
  }

  /** This rank's example indices per micro-batch of one epoch. */
  indicesForEpoch(options: EpochOptions & { readonly batchSize: number }): Int32Array[] {
    return shardedBatchIndices(this.dataset.size, options.batchSize, this.shard, options, (i) => this.dataset.length(i));
  }

  *batches(options: EpochOptions & { readonly batchSize: number }): Generator<EncodedBatch> {
    for (const indices of this.indicesForEpoch(options)) {
      yield indices.length === 0 ? emptyBatch(this.dataset.labelKind !== 'none') : this.dataset.batch(indices);
    }
  }
}

/** A batch with no rows: the rank contributes nothing but still takes part in the step. */
export function emptyBatch(hasLabels: boolean): EncodedBatch {
  const none = new Int32Array(0);
  return { batchSize: 0, seqLength: 0, inputIds: none, attentionMask: none, tokenTypeIds: none, ...(hasLabels ? { labels: none } : {}) };
}

function checkShard(size: number, batchSize: number, shard: ShardSpec): void {
  const { rank, worldSize } = shard;
  const problems: string[] = [];
  if (!Number.isSafeInteger(worldSize) || worldSize < 1) problems.push(`worldSize must be a positive integer, got ${worldSize}`);
  else if (!Number.isSafeInteger(rank) || rank < 0 || rank >= worldSize) problems.push(`rank must be an integer in [0, ${worldSize - 1}], got ${rank}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) problems.push(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isSafeInteger(size) || size < 0) problems.push(`dataset size must be a non-negative integer, got ${size}`);
  if (problems.length > 0) throw new DataError('DATA_BAD_ARGUMENT', `ShardedBatchSource: ${problems.join('; ')}.`);
}
