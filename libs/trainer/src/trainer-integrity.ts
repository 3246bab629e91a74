import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel } from '@tunefleet/model';
import { TrainerError } from './trainer-error.ts';

/**
 * Non-finite steps (--max-nonfinite-steps): an optimizer step whose averaged loss or gradient norm
 * is NaN or Inf is skipped and counted. The averaged values are the same on every rank (they come
 * out of the same all-reduce), so every rank skips the same step: a poisoned chunk fails that step
 * everywhere and changes no weight. `maxConsecutive` in a row are tolerated; the next one throws.
 */
export class NonfiniteStepGuard {
  consecutive = 0;
  total = 0;
  constructor(private readonly maxConsecutive: number) {}

  /** True when step `step` must be skipped; throws NONFINITE_STEPS when it is one too many. */
  isSkipped(step: number, loss: number, gradNorm: number): boolean {
    if (Number.isFinite(loss) && Number.isFinite(gradNorm)) {
      this.consecutive = 0;
      return false;
    }
    this.consecutive += 1;
    this.total += 1;
    if (this.consecutive > this.maxConsecutive) {
      throw new TrainerError(
        'NONFINITE_STEPS',
        `step ${step}: loss ${loss} / gradient norm ${gradNorm} is not finite, ${this.consecutive} such steps in a row ` +
          `(max_nonfinite_steps ${this.maxConsecutive}); training stopped before it changed a weight. Lower --learning-rate, ` +
          'check the data for broken rows, or raise --max-nonfinite-steps.',
      );
    }
    return true;
  }
}

/** Throws NONFINITE_WEIGHTS naming the first parameter with a NaN or Inf: no model or checkpoint is written from it. */
export function assertFiniteWeights(model: TrainableModel, what: string): void {
  for (const [name, variable] of model.parameters) {
    const isBad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(variable))).dataSync()[0] === 1);
    if (isBad) {
      throw new TrainerError('NONFINITE_WEIGHTS', `${what}: parameter "${name}" holds NaN or Inf; refusing to write it. The run diverged; resume from an earlier checkpoint with a lower learning rate.`);
    }
  }
}

/** How a train() call ended, as trainer_state.json records it ("status"). */
export type RunStatus = 'completed' | 'cancelled' | 'failed';
