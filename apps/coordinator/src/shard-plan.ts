import type { ShardPlan } from '@tunefleet/proto';
import type { TrainingArguments } from '@tunefleet/trainer';

/**
 * The shard plan the coordinator hands rank `rank` of `worldSize`: the parameters of libs/data's one
 * sharding rule (`shardedBatchIndices`, what the worker's `ShardedBatchSource` and the Trainer read;
 * see README "Sharding"). The coordinator computes no indices itself. `numExamples` is 0: the worker
 * counts the rows of spec.train_file. `jobWorldSize` is the spec's world_size: a re-formed ring of
 * `worldSize` ranks keeps the job's global micro-batch (B x jobWorldSize) and slices it across its
 * ranks, so the global batch and the schedule stay as asked. A re-formed ring resumes from a
 * checkpoint, whose trainer state holds the data cursor, so `startEpoch` / `startCursor` stay 0.
 */
export function buildShardPlan(args: TrainingArguments, rank: number, worldSize: number, jobWorldSize = worldSize): ShardPlan {
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
    globalMicroBatchSize: args.per_device_train_batch_size * jobWorldSize,
  };
}
