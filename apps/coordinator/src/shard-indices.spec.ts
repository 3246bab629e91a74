import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globalBatchSize, shardIndices, stepsPerEpoch, type ShardOptions } from './shard-indices.ts';

const arbitraryOptions = fc.record({
  numExamples: fc.integer({ min: 0, max: 300 }),
  seed: fc.integer({ min: 0, max: 2 ** 32 }),
  epoch: fc.integer({ min: 0, max: 5 }),
  worldSize: fc.integer({ min: 1, max: 8 }),
  perDeviceTrainBatchSize: fc.integer({ min: 1, max: 9 }),
  gradientAccumulationSteps: fc.integer({ min: 1, max: 4 }),
});

function allRanks(options: Omit<ShardOptions, 'rank'>) {
  return Array.from({ length: options.worldSize }, (_, rank) => shardIndices({ ...options, rank }));
}

describe('shardIndices', () => {
  it('uses every example of an epoch exactly once across ranks, for any sizes', () => {
    fc.assert(
      fc.property(arbitraryOptions, (options) => {
        const seen = allRanks(options).flatMap((steps) => steps.flatMap((step) => step.microBatches.flatMap((batch) => [...batch])));
        expect(seen.length).toBe(options.numExamples);
        expect(new Set(seen).size).toBe(options.numExamples);
      }),
    );
  });

  it('gives every rank the same number of steps, each step at most one global batch split across ranks', () => {
    fc.assert(
      fc.property(arbitraryOptions, fc.boolean(), (options, dropLast) => {
        const perRank = allRanks({ ...options, dropLast });
        const steps = stepsPerEpoch(options.numExamples, globalBatchSize(options), dropLast);
        for (const rankSteps of perRank) expect(rankSteps.length).toBe(steps);
        for (let s = 0; s < steps; s++) {
          const sizes = perRank.map((rankSteps) => rankSteps[s].microBatches.reduce((sum, batch) => sum + batch.length, 0));
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(perRank[0][s].globalSampleCount);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          for (const rankSteps of perRank) {
            expect(rankSteps[s].microBatches.length).toBeLessThanOrEqual(options.gradientAccumulationSteps);
            for (const batch of rankSteps[s].microBatches) expect(batch.length).toBeLessThanOrEqual(options.perDeviceTrainBatchSize);
          }
        }
      }),
    );
  });

  it('consumes per_device_train_batch_size x world_size x gradient_accumulation_steps samples per full step', () => {
    const options = { numExamples: 100, seed: 7, epoch: 0, worldSize: 3, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 2 };
    const perRank = allRanks(options);
    expect(perRank[0].length).toBe(5); // ceil(100 / 24)
    expect(perRank[0][0].globalSampleCount).toBe(24);
    expect(perRank[1][0].microBatches.map((batch) => batch.length)).toEqual([4, 4]);
    expect(perRank[0][4].globalSampleCount).toBe(4); // 100 - 4 * 24
    expect(allRanks({ ...options, dropLast: true })[2].length).toBe(4);
  });

  it('reshuffles every epoch and is deterministic for (seed, epoch)', () => {
    const options = { numExamples: 64, seed: 1, worldSize: 2, rank: 1, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 1 };
    const flat = (epoch: number) => shardIndices({ ...options, epoch }).flatMap((step) => step.microBatches.flatMap((batch) => [...batch]));
    expect(flat(0)).toEqual(flat(0));
    expect(flat(1)).not.toEqual(flat(0));
  });

  it('skips to a step without replaying the earlier ones', () => {
    const options = { numExamples: 50, seed: 3, epoch: 2, worldSize: 2, rank: 0, perDeviceTrainBatchSize: 3, gradientAccumulationSteps: 2 };
    expect(shardIndices(options, 3)).toEqual(shardIndices(options).slice(3));
  });

  it('names every bad argument', () => {
    expect(() => shardIndices({ numExamples: -1, seed: 0, epoch: 0, worldSize: 2, rank: 2, perDeviceTrainBatchSize: 0, gradientAccumulationSteps: 1 })).toThrow(
      /perDeviceTrainBatchSize must be a positive integer, got 0; numExamples must be a non-negative integer, got -1/,
    );
    expect(() => shardIndices({ numExamples: 4, seed: 0, epoch: 0, worldSize: 2, rank: 2, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 1 })).toThrow(
      /rank must be below worldSize 2, got 2/,
    );
  });
});
