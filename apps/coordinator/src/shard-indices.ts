import { permutation } from '@tunefleet/data';
import { CoordinatorError } from './errors.ts';

export interface ShardOptions {
  readonly numExamples: number;
  readonly seed: number;
  readonly epoch: number;
  readonly worldSize: number;
  readonly rank: number;
  readonly perDeviceTrainBatchSize: number;
  readonly gradientAccumulationSteps: number;
  /** TrainingArguments.dataloader_drop_last: drop a final optimizer step smaller than the global batch. */
  readonly dropLast?: boolean;
}

/** What one rank reads for one optimizer step. */
export interface ShardStep {
  /** Samples the whole ring consumes in this step: divide the all-reduced gradient sum by this. */
  readonly globalSampleCount: number;
  /** This rank's micro-batches (at most gradientAccumulationSteps, each at most the per-device batch). */
  readonly microBatches: readonly Int32Array[];
}

/** Samples one optimizer step consumes across the ring: per-device batch x world size x accumulation. */
export function globalBatchSize(options: Pick<ShardOptions, 'perDeviceTrainBatchSize' | 'worldSize' | 'gradientAccumulationSteps'>): number {
  return options.perDeviceTrainBatchSize * options.worldSize * options.gradientAccumulationSteps;
}

/** Optimizer steps in one epoch (identical on every rank, so every rank joins every all-reduce). */
export function stepsPerEpoch(numExamples: number, globalBatch: number, dropLast = false): number {
  return dropLast ? Math.floor(numExamples / globalBatch) : Math.ceil(numExamples / globalBatch);
}

/**
 * The example indices `rank` reads in `epoch`, step by step, starting at `fromStep` (skipping is
 * O(1): no batches are replayed). The rule, identical on every rank:
 *  1. order = permutation(numExamples, seed, epoch), the same shuffle the single-process trainer uses;
 *  2. step s takes order[s*G, min((s+1)*G, n)), G = per-device batch x world size x accumulation;
 *  3. of the step's L samples, rank r takes [floor(r*L/W), floor((r+1)*L/W)): contiguous, in rank order,
 *     sizes differing by at most one in a final partial step;
 *  4. the rank cuts its slice into micro-batches of the per-device batch size.
 * Every example of the epoch is read exactly once across ranks unless dropLast drops a partial step.
 */
export function shardIndices(options: ShardOptions, fromStep = 0): ShardStep[] {
  checkOptions(options);
  const globalBatch = globalBatchSize(options);
  const steps = stepsPerEpoch(options.numExamples, globalBatch, options.dropLast);
  if (!Number.isInteger(fromStep) || fromStep < 0) {
    throw new CoordinatorError('SHARD_ARGUMENT_INVALID', `shardIndices: fromStep must be a non-negative integer, got ${fromStep}.`);
  }
  const order = permutation(options.numExamples, options.seed, options.epoch);
  const result: ShardStep[] = [];
  for (let step = fromStep; step < steps; step++) {
    const stepStart = step * globalBatch;
    const stepLength = Math.min(globalBatch, options.numExamples - stepStart);
    const sliceStart = stepStart + Math.floor((options.rank * stepLength) / options.worldSize);
    const sliceEnd = stepStart + Math.floor(((options.rank + 1) * stepLength) / options.worldSize);
    const microBatches: Int32Array[] = [];
    for (let start = sliceStart; start < sliceEnd; start += options.perDeviceTrainBatchSize) {
      microBatches.push(order.subarray(start, Math.min(start + options.perDeviceTrainBatchSize, sliceEnd)));
    }
    result.push({ globalSampleCount: stepLength, microBatches });
  }
  return result;
}

function checkOptions(options: ShardOptions): void {
  const positive = ['worldSize', 'perDeviceTrainBatchSize', 'gradientAccumulationSteps'] as const;
  const nonNegative = ['numExamples', 'epoch', 'rank', 'seed'] as const;
  const bad: string[] = [];
  for (const key of positive) if (!Number.isSafeInteger(options[key]) || options[key] < 1) bad.push(`${key} must be a positive integer, got ${options[key]}`);
  for (const key of nonNegative) if (!Number.isSafeInteger(options[key]) || options[key] < 0) bad.push(`${key} must be a non-negative integer, got ${options[key]}`);
  if (bad.length === 0 && options.rank >= options.worldSize) bad.push(`rank must be below worldSize ${options.worldSize}, got ${options.rank}`);
  if (bad.length > 0) throw new CoordinatorError('SHARD_ARGUMENT_INVALID', `shardIndices: ${bad.join('; ')}.`);
}
