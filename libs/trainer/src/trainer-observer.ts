import type { GradientSync } from './gradient-sync.ts';

/** One finished optimizer step, as the Trainer reports it to a TrainingObserver. */
export interface StepSample {
  readonly step: number;
  readonly maxSteps: number;
  /** Fractional epoch after the step (HF's state.epoch). */
  readonly epoch: number;
  /** Loss of the step: mean over every example of the step on every rank. */
  readonly loss: number;
  /** The learning rate the step used. */
  readonly learningRate: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Examples and input tokens (padding included, as HF's num_input_tokens_seen) of this rank in the step. */
  readonly samples: number;
  readonly tokens: number;
  /**
   * This rank's own time for the step (forward, backward, clipping, optimizer), without the gradient
   * sync: in data-parallel training every rank waits for the slowest in the all-reduce, so only this
   * part shows a straggler.
   */
  readonly stepSeconds: number;
  /** Time of the gradient sync of the step (0 in one process). */
  readonly syncSeconds: number;
}

/**
 * What the Trainer tells an operational-metrics sink (the apps plug in libs/metrics' RankMetrics;
 * libs/trainer knows no metrics library). Calls are synchronous and must not throw: a metrics sink
 * never stops training.
 */
export interface TrainingObserver {
  /** train() starts (or resumes) at `step` of `maxSteps`. */
  onTrainBegin(step: number, maxSteps: number): void;
  onStep(sample: StepSample): void;
  /** Metrics of one evaluation, keyed as logged (`eval_loss`, `eval_accuracy`, ...). */
  onEvaluate(metrics: Readonly<Record<string, number>>): void;
  /** A checkpoint was written in `seconds` (rank 0 only: the other ranks write none). */
  onCheckpoint(seconds: number): void;
}

/** The default: nothing is observed. */
export class NoopTrainingObserver implements TrainingObserver {
  onTrainBegin(): void {}
  onStep(): void {}
  onEvaluate(): void {}
  onCheckpoint(): void {}
}

/** The Trainer's constructor options beside TrainerOptions (trainer-types.ts). */
export interface ObservedTrainerOptions {
  /** Operational metrics of the run; default NoopTrainingObserver. */
  readonly observer?: TrainingObserver;
}

/** `sync` with the time of each allReduce handed to `onSeconds` (the step's sync time for the observer). */
export function timedGradientSync(sync: GradientSync, onSeconds: (seconds: number) => void): GradientSync {
  return new TimedGradientSync(sync, onSeconds);
}

class TimedGradientSync implements GradientSync {
  readonly allocateBuffer?: (length: number) => Float32Array;

  constructor(
    private readonly sync: GradientSync,
    private readonly onSeconds: (seconds: number) => void,
  ) {
    if (sync.allocateBuffer !== undefined) this.allocateBuffer = (length) => sync.allocateBuffer!(length);
  }

  get rank(): number {
    return this.sync.rank;
  }

  get worldSize(): number {
    return this.sync.worldSize;
  }

  async allReduce(buffer: Float32Array): Promise<void> {
    const startMs = performance.now();
    try {
      await this.sync.allReduce(buffer);
    } finally {
      this.onSeconds((performance.now() - startMs) / 1000);
    }
  }
}
