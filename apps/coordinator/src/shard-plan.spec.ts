import { EncodedDataset, permutation, ShardedBatchSource } from '@tunefleet/data';
import type { ShardPlan } from '@tunefleet/proto';
import { parseTrainingArguments, planForSource } from '@tunefleet/trainer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildShardPlan } from './shard-plan.ts';

function dataset(size: number): EncodedDataset {
  const rows = Array.from({ length: size }, (_, i) => [1, 5 + (i % 50), 2]);
  return new EncodedDataset({ inputIds: rows, attentionMask: rows.map((r) => r.map(() => 1)), tokenTypeIds: rows.map((r) => r.map(() => 0)), labels: rows.map((_, i) => i % 2) }, 0);
}

/** What the worker does with its plan: libs/data's ShardedBatchSource over the whole training set. */
function workerSource(plan: ShardPlan, data: EncodedDataset): ShardedBatchSource {
  return new ShardedBatchSource(data, { rank: plan.shardIndex, worldSize: plan.numShards });
}

function microBatches(plan: ShardPlan, data: EncodedDataset, epoch: number): Int32Array[] {
  return workerSource(plan, data).indicesForEpoch({ batchSize: plan.perDeviceTrainBatchSize, shuffle: true, seed: plan.seed, epoch, dropLast: plan.dropLast });
}

const argsOf = (input: Record<string, unknown>) => parseTrainingArguments({ output_dir: 'out', ...input }, 'test');

describe('buildShardPlan (libs/data sharding rule)', () => {
  it('hands out the training arguments that parameterise the rule, one shard per rank', () => {
    const args = argsOf({ seed: 9, per_device_train_batch_size: 4, gradient_accumulation_steps: 2, dataloader_drop_last: true });
    expect(buildShardPlan(args, 1, 3)).toEqual({
      seed: 9, numShards: 3, shardIndex: 1, numExamples: 0, startEpoch: 0, startCursor: 0, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 2, dropLast: true, globalMicroBatchSize: 12,
    });
  });

  it('slices each global micro-batch of B*W (not each optimizer step of B*W*accum) across the ranks', () => {
    const args = argsOf({ seed: 7, per_device_train_batch_size: 4, gradient_accumulation_steps: 2 });
    const data = dataset(100);
    const order = permutation(100, 7, 0);
    const rank1 = microBatches(buildShardPlan(args, 1, 3), data, 0);
    // Global micro-batch j = order[12j, 12j+12); rank 1 takes its [4, 8).
    expect([...rank1[0]!]).toEqual([...order.subarray(4, 8)]);
    expect([...rank1[1]!]).toEqual([...order.subarray(16, 20)]);
    // ceil(100 / 12) = 9 micro-batches; the last has 4 examples, rank 1 gets floor(2*4/3) - floor(4/3) = 1.
    expect(rank1).toHaveLength(9);
    expect(rank1[8]!.length).toBe(1);
    // floor(9 / 2) = 4 optimizer steps on every rank (the last takes the remainder micro-batch).
    expect(planForSource(args, workerSource(buildShardPlan(args, 1, 3), data)).maxSteps).toBe(4 * args.num_train_epochs);
  });

  it('uses every example of an epoch exactly once across ranks, with equal step counts, for any sizes', () => {
    fc.assert(
      fc.property(
        fc.record({
          size: fc.integer({ min: 1, max: 200 }),
          worldSize: fc.integer({ min: 1, max: 6 }),
          batch: fc.integer({ min: 1, max: 8 }),
          accum: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 0, max: 1000 }),
          epoch: fc.integer({ min: 0, max: 3 }),
        }),
        ({ size, worldSize, batch, accum, seed, epoch }) => {
          const args = argsOf({ seed, per_device_train_batch_size: batch, gradient_accumulation_steps: accum });
          const data = dataset(size);
          const plans = Array.from({ length: worldSize }, (_, rank) => buildShardPlan(args, rank, worldSize));
          const perRank = plans.map((plan) => microBatches(plan, data, epoch));
          const seen = perRank.flatMap((batches) => batches.flatMap((b) => [...b]));
          expect(seen.length).toBe(size);
          expect(new Set(seen).size).toBe(size);
          expect(new Set(perRank.map((batches) => batches.length)).size).toBe(1);
          expect(new Set(plans.map((plan) => planForSource(args, workerSource(plan, data)).maxSteps)).size).toBe(1);
        },
      ),
      { numRuns: 60 },
    );
  });
});
