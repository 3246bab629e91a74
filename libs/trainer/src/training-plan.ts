import { batchesPerEpoch } from './batch-source.ts';
import { TrainerError } from './trainer-error.ts';
import { numWarmupSteps } from './lr-schedule.ts';
import type { TrainingArguments } from './training-arguments.ts';

/** How many batches, optimizer steps and epochs a run takes; the numbers HF prints before training. */
export interface TrainingPlan {
  readonly batchesPerEpoch: number;
  readonly updatesPerEpoch: number;
  readonly maxSteps: number;
  /** Epochs the loop enters (the last may stop early at maxSteps). */
  readonly numEpochs: number;
  readonly warmupSteps: number;
}

export function planTraining(args: TrainingArguments, datasetSize: number): TrainingPlan {
  const batches = batchesPerEpoch(datasetSize, args.per_device_train_batch_size, args.dataloader_drop_last);
  if (batches === 0) {
    throw new TrainerError(
      'DATASET_EMPTY',
      `trainDataset has ${datasetSize} examples: no batch of per_device_train_batch_size=${args.per_device_train_batch_size}` +
        (args.dataloader_drop_last ? ' with dataloader_drop_last=true' : '') +
        '; add data or lower the batch size.',
    );
  }
  const updatesPerEpoch = Math.max(Math.floor(batches / args.gradient_accumulation_steps), 1);
  const maxSteps = args.max_steps > 0 ? args.max_steps : Math.ceil(args.num_train_epochs * updatesPerEpoch);
  const numEpochs = args.max_steps > 0 ? Math.ceil(maxSteps / updatesPerEpoch) : Math.ceil(args.num_train_epochs);
  return {
    batchesPerEpoch: batches,
    updatesPerEpoch,
    maxSteps,
    numEpochs,
    warmupSteps: numWarmupSteps(args.warmup_steps, args.warmup_ratio, maxSteps),
  };
}

/**
 * The micro-batches [start, end) of optimizer step `update` within an epoch. Steps take
 * gradient_accumulation_steps micro-batches each; the last step of the epoch also takes the
 * remainder (so no example is skipped and the step count stays floor(batches / accum), the count
 * HF's max_steps formula uses); with fewer batches than accum the only step takes them all.
 */
export function updateBounds(plan: TrainingPlan, accum: number, update: number): { start: number; end: number } {
  const start = update * accum;
  const end = update === plan.updatesPerEpoch - 1 ? plan.batchesPerEpoch : start + accum;
  return { start, end };
}

export function updateOfBatch(plan: TrainingPlan, accum: number, batchIndex: number): number {
  return Math.min(Math.floor(batchIndex / accum), plan.updatesPerEpoch - 1);
}

/** Reproducible 31-bit dropout seed per (seed, rank, optimizer step, micro-step); resumes match. */
export function dropoutSeedFor(seed: number, rank: number, globalStep: number, microStep: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ globalStep, 0xc2b2ae35);
  h = Math.imul(h ^ microStep, 0x27d4eb2f);
  h = Math.imul(h ^ rank, 0x165667b1);
  h ^= h >>> 15;
  return h >>> 1;
}
