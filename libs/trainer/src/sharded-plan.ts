import type { BatchSource } from './batch-source.ts';
import { TrainerError } from './trainer-error.ts';
import type { TrainingArguments } from './training-arguments.ts';
import { planTraining, type TrainingPlan } from './training-plan.ts';

/**
 * A data-parallel BatchSource (libs/data's ShardedBatchSource is one): each epoch it yields this
 * rank's slice of every global micro-batch, empty slices included, so every rank yields the same
 * number of batches and joins every all-reduce. That number is not `size / batchSize`, so the
 * source states it.
 */
export interface ShardedSource extends BatchSource {
  /** Micro-batches per epoch, identical on every rank, for the per-device `batchSize`. */
  batchesPerEpoch(batchSize: number, dropLast: boolean): number;
}

export function isShardedSource(source: BatchSource): source is ShardedSource {
  return typeof (source as Partial<ShardedSource>).batchesPerEpoch === 'function';
}

/** planTraining for any BatchSource: a sharded one plans from its global micro-batch count. */
export function planForSource(args: TrainingArguments, source: BatchSource): TrainingPlan {
  if (!isShardedSource(source)) return planTraining(args, source.size);
  const batchSize = args.per_device_train_batch_size;
  const batches = source.batchesPerEpoch(batchSize, args.dataloader_drop_last);
  if (!Number.isSafeInteger(batches) || batches < 1) {
    throw new TrainerError(
      'DATASET_EMPTY',
      `trainDataset yields ${batches} global micro-batches per epoch at per_device_train_batch_size=${batchSize}` +
        (args.dataloader_drop_last ? ' with dataloader_drop_last=true' : '') +
        '; add data, lower the batch size or use fewer workers.',
    );
  }
  // batches * batchSize examples make exactly `batches` batches with or without drop_last.
  return planTraining(args, batches * batchSize);
}
