import { describe, expect, it } from 'vitest';
import { parseTrainingArguments } from './training-arguments.ts';
import { dropoutSeedFor, planTraining, updateBounds, updateOfBatch } from './training-plan.ts';

const args = (extra: object) => parseTrainingArguments({ output_dir: 'o', ...extra }, 'test');

describe('planTraining', () => {
  it("uses HF's step count: ceil(epochs * max(floor(batches / accum), 1))", () => {
    // 37 examples / batch 4 = 10 batches; accum 3 -> 3 updates per epoch; 2.5 epochs -> 8 steps over 3 epochs
    const plan = planTraining(args({ per_device_train_batch_size: 4, gradient_accumulation_steps: 3, num_train_epochs: 2.5 }), 37);
    expect(plan).toMatchObject({ batchesPerEpoch: 10, updatesPerEpoch: 3, maxSteps: 8, numEpochs: 3 });
    expect(planTraining(args({ per_device_train_batch_size: 4, dataloader_drop_last: true }), 37).batchesPerEpoch).toBe(9);
    expect(planTraining(args({ max_steps: 7, per_device_train_batch_size: 4 }), 12)).toMatchObject({ maxSteps: 7, numEpochs: 3 });
    expect(planTraining(args({ warmup_ratio: 0.1, max_steps: 25 }), 8).warmupSteps).toBe(3);
  });

  it('gives the epoch remainder to the last optimizer step, and everything to one step when batches < accum', () => {
    const plan = planTraining(args({ per_device_train_batch_size: 1, gradient_accumulation_steps: 3 }), 10);
    expect([0, 1, 2].map((u) => updateBounds(plan, 3, u))).toEqual([{ start: 0, end: 3 }, { start: 3, end: 6 }, { start: 6, end: 10 }]);
    expect(updateOfBatch(plan, 3, 9)).toBe(2);
    const few = planTraining(args({ per_device_train_batch_size: 1, gradient_accumulation_steps: 8 }), 5);
    expect(few.updatesPerEpoch).toBe(1);
    expect(updateBounds(few, 8, 0)).toEqual({ start: 0, end: 5 });
  });

  it('rejects a dataset too small for one batch', () => {
    expect(() => planTraining(args({ per_device_train_batch_size: 8, dataloader_drop_last: true }), 5)).toThrow(
      expect.objectContaining({ code: 'DATASET_EMPTY' }),
    );
  });

  it('derives distinct, reproducible dropout seeds per step, micro-step and rank', () => {
    const seeds = new Set([0, 1].flatMap((rank) => [0, 1, 2].flatMap((step) => [0, 1].map((micro) => dropoutSeedFor(42, rank, step, micro)))));
    expect(seeds.size).toBe(12);
    expect(dropoutSeedFor(42, 0, 5, 1)).toBe(dropoutSeedFor(42, 0, 5, 1));
    expect(dropoutSeedFor(42, 0, 5, 1)).toBeGreaterThanOrEqual(0);
  });
});
