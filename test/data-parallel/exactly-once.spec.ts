// Across the ranks, every sample of an epoch is trained on exactly once, checked by sample id on the
// batches the Trainers actually ran forward/backward on.
import type * as tf from '@tensorflow/tfjs-core';
import { InMemoryTransport } from '@tunefleet/comm';
import { ShardedBatchSource, type EncodedBatch } from '@tunefleet/data';
import type { ModelBatch, TrainableModel } from '@tunefleet/model';
import { Trainer, type BatchOptions } from '@tunefleet/trainer';
import { RingGradientSync } from '@tunefleet/worker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, syntheticDataset, tempDir, tinyModel, trainingArgs, useCpu } from './support.ts';

beforeAll(useCpu);
afterEach(removeTempDirs);

/** Remembers which sample ids each batch object holds. */
const idsOfBatch = new WeakMap<object, readonly number[]>();

/** A rank's ShardedBatchSource whose batches can be traced back to sample ids. */
class TracedSource {
  constructor(private readonly source: ShardedBatchSource) {}

  get size(): number {
    return this.source.size;
  }

  batchesPerEpoch(batchSize: number, dropLast: boolean): number {
    return this.source.batchesPerEpoch(batchSize, dropLast);
  }

  *batches(options: BatchOptions): Generator<EncodedBatch> {
    const slices = this.source.indicesForEpoch(options);
    let j = 0;
    for (const batch of this.source.batches(options)) {
      idsOfBatch.set(batch, [...slices[j++]!]);
      yield batch;
    }
  }
}

/** The tiny BERT, recording (epoch-agnostic) the sample ids of every training forward pass. */
function recordingModel(trained: number[][]): TrainableModel {
  const model = tinyModel();
  return {
    task: model.task,
    parameters: model.parameters,
    forward: (batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor => {
      if (options.training) trained.push([...(idsOfBatch.get(batch) ?? [Number.NaN])]);
      return model.forward(batch, options);
    },
    loss: (logits, batch) => model.loss(logits, batch),
    isDecayed: (name) => model.isDecayed(name),
    save: (dir, extra) => model.save(dir, extra),
    dispose: () => model.dispose(),
  };
}

describe('data-parallel sharding', () => {
  it('3 ranks, 31 samples, per-device batch 2: each epoch trains on every sample exactly once', async () => {
    const size = 31; // prime: 5 global micro-batches of 6, then 1 sample (slices 0, 0, 1)
    const dataset = syntheticDataset(size);
    const outputDir = await tempDir();
    const perRank: number[][][] = [[], [], []];
    const ranks = InMemoryTransport.createRing({ worldSize: 3 }).map((transport) => {
      const model = recordingModel(perRank[transport.rank]!);
      const trainer = new Trainer({
        model,
        args: trainingArgs({ output_dir: outputDir, per_device_train_batch_size: 2, num_train_epochs: 2 }),
        trainDataset: new TracedSource(new ShardedBatchSource(dataset, { rank: transport.rank, worldSize: 3 })),
        gradientSync: new RingGradientSync(transport, { timeoutMs: 20_000 }),
      });
      return { model, trainer };
    });
    const results = await Promise.all(ranks.map((r) => r.trainer.train()));
    for (const { model } of ranks) model.dispose();
    expect(results.map((r) => r.globalStep)).toEqual([12, 12, 12]); // 6 steps per epoch on every rank
    // Ranks 0 and 1 skip the forward pass of the last (empty) slice but still joined its all-reduce.
    expect(perRank.map((batches) => batches.length)).toEqual([10, 10, 12]);
    const perEpoch = (rank: number, epoch: number): number[][] =>
      perRank[rank]!.slice(epoch * perRank[rank]!.length / 2, (epoch + 1) * perRank[rank]!.length / 2);
    for (const epoch of [0, 1]) {
      const ids = [0, 1, 2].flatMap((rank) => perEpoch(rank, epoch).flat()).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: size }, (_, i) => i));
    }
    expect(perEpoch(2, 0)).not.toEqual(perEpoch(2, 1)); // reshuffled by (seed, epoch)
  });

  it('with group_by_length, 2 ranks still train on every sample exactly once, in similar-length global batches', async () => {
    const size = 60; // mega-batches of 60 / (4 x 4) = 3 global batches of 4
    const dataset = syntheticDataset(size);
    const outputDir = await tempDir();
    const perRank: number[][][] = [[], []];
    const ranks = InMemoryTransport.createRing({ worldSize: 2 }).map((transport) => {
      const model = recordingModel(perRank[transport.rank]!);
      const trainer = new Trainer({
        model,
        args: trainingArgs({ output_dir: outputDir, per_device_train_batch_size: 2, num_train_epochs: 1, group_by_length: true }),
        trainDataset: new TracedSource(new ShardedBatchSource(dataset, { rank: transport.rank, worldSize: 2 })),
        gradientSync: new RingGradientSync(transport, { timeoutMs: 20_000 }),
      });
      return { model, trainer };
    });
    await Promise.all(ranks.map((r) => r.trainer.train()));
    for (const { model } of ranks) model.dispose();
    expect([...perRank[0]!.flat(), ...perRank[1]!.flat()].sort((a, b) => a - b)).toEqual(Array.from({ length: size }, (_, i) => i));
    // Each step's global batch is what one process with batch 4 reads: grouped, so its two halves' longest rows are close.
    const longest = (ids: number[]): number => Math.max(...ids.map((id) => dataset.length(id)));
    const gaps = perRank[0]!.map((ids, step) => Math.abs(longest(ids) - longest(perRank[1]![step]!)));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2);
  });
});
