import type { ShardPlan } from '@tunefleet/proto';
import type { TrainingArguments } from '@tunefleet/trainer';

/**
 * The shard plan the coordinator hands rank `rank` of `worldSize`: the parameters of libs/data's one
 * sharding rule (`shardedBatchIndices`, what the worker's `ShardedBatchSource` and the Trainer read;
 * see README "Sharding"). The coordinator computes no indices itself. `numExamples` is 0: the worker
 * counts the rows of spec.train_file. Elastic restarts will set `startEpoch` / `startCursor`.
 */
export function buildShardPlan(args: TrainingArguments, rank: number, worldSize: number): ShardPlan {
  return {
    seed: args.seed,
    numShards: worldSize,
    shardIndex: rank,
    numExamples: 0,
    startEpoch: 0,
    startCursor: 0,
    perDeviceTrainBatchSize: args.per_device_train_batch_size,
    gradientAccumulationSteps: args.gradient_accumulation_steps,
    dropLast: args.dataloader_drop_last,
  };
}
