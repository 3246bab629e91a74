import { emptyBatch, shardedBatchIndices, type EncodedBatch, type EncodedDataset, type EpochOptions } from '@tunefleet/data';

export interface ElasticShard {
  readonly rank: number;
  /** Ranks of the ring now (may be fewer or more than the job's world_size after a re-formation). */
  readonly worldSize: number;
  /** Examples per global micro-batch: per_device_train_batch_size x the job's world_size. */
  readonly globalMicroBatchSize: number;
  readonly gradientAccumulationSteps: number;
}

/**
 * One rank's view of the training set in a ring that may have been re-formed: the job's global
 * micro-batches (what one process with batch `globalMicroBatchSize` reads: libs/data's rule with a
 * single shard) are each sliced across the ring's ranks, rank r taking [floor(r*L/W), floor((r+1)*L/W)).
 * So the global batch, the number of steps per epoch and the learning-rate schedule are those of
 * the job as submitted, whatever the ring's size. Every batch it yields is recorded (`consumed`) for
 * the sample ledger. Structurally a trainer ShardedSource.
 */
export class ElasticShardSource {
  readonly size: number;
  /** Batches yielded since the last `takeStep` (a resumed run is also handed the ones it skips). */
  private yielded: { epoch: number; ids: Int32Array }[] = [];

  constructor(
    readonly dataset: EncodedDataset,
    readonly shard: ElasticShard,
  ) {
    const { rank, worldSize } = shard;
    this.size = Math.floor(((rank + 1) * dataset.size) / worldSize) - Math.floor((rank * dataset.size) / worldSize);
  }

  /** Global micro-batches per epoch: independent of the ring's size and of the per-device batch. */
  batchesPerEpoch(_batchSize: number, dropLast: boolean): number {
    const global = this.shard.globalMicroBatchSize;
    return dropLast ? Math.floor(this.dataset.size / global) : Math.ceil(this.dataset.size / global);
  }

  indicesForEpoch(options: EpochOptions): Int32Array[] {
    const { rank, worldSize, globalMicroBatchSize, gradientAccumulationSteps } = this.shard;
    // group_by_length groups over the job's global batch, as one process would.
    const epochOptions = options.lengthGroupSize === undefined ? options : { ...options, lengthGroupSize: globalMicroBatchSize * gradientAccumulationSteps };
    const globals = shardedBatchIndices(this.dataset.size, globalMicroBatchSize, { rank: 0, worldSize: 1 }, epochOptions, (i) => this.dataset.length(i));
    return globals.map((batch) => batch.subarray(Math.floor((rank * batch.length) / worldSize), Math.floor(((rank + 1) * batch.length) / worldSize)));
  }

  *batches(options: EpochOptions & { readonly batchSize: number }): Generator<EncodedBatch> {
    for (const indices of this.indicesForEpoch(options)) {
      this.yielded.push({ epoch: options.epoch, ids: indices });
      yield indices.length === 0 ? emptyBatch(this.dataset.labelKind !== 'none') : this.dataset.batch(indices);
    }
  }

  /**
   * The rows optimizer step `globalStep` (1-based) consumed, called at its end: the last
   * micro-batches yielded, as many as that step takes (gradient_accumulation_steps, or the epoch's
   * remainder on its last step); earlier ones were skipped by a resumed run.
   */
  takeStep(globalStep: number, dropLast: boolean): { epoch: number; ids: number[] } {
    const batches = this.batchesPerEpoch(0, dropLast);
    const accum = this.shard.gradientAccumulationSteps;
    const updatesPerEpoch = Math.max(Math.floor(batches / accum), 1);
    const update = (globalStep - 1) % updatesPerEpoch;
    const count = update === updatesPerEpoch - 1 ? batches - update * accum : accum;
    const used = this.yielded.slice(-count);
    this.yielded = [];
    const ids: number[] = [];
    for (const batch of used) for (const id of batch.ids) ids.push(id);
    return { epoch: used[0]?.epoch ?? 0, ids };
  }
}
