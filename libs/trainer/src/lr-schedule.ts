export type LrSchedulerType = 'linear' | 'constant' | 'constant_with_warmup' | 'cosine';

/** Multiplier of the base learning rate at optimizer step `step` (0-based), as LambdaLR's lambda. */
export type LrLambda = (step: number) => number;

/** HF's warmup rule: warmup_steps when > 0, else ceil(warmup_ratio * total). */
export function numWarmupSteps(warmupSteps: number, warmupRatio: number, totalSteps: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}

/** transformers.get_scheduler's lambdas (cosine with num_cycles = 0.5, HF's default). */
export function getLrLambda(type: LrSchedulerType, warmupSteps: number, totalSteps: number): LrLambda {
  const warmup = (step: number): number => step / Math.max(1, warmupSteps);
  switch (type) {
    case 'constant':
      return () => 1;
    case 'constant_with_warmup':
      return (step) => (step < warmupSteps ? warmup(step) : 1);
    case 'linear':
      return (step) =>
        step < warmupSteps ? warmup(step) : Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine':
      return (step) => {
        if (step < warmupSteps) return warmup(step);
        const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
      };
  }
}

/** LambdaLR: the learning rate for the optimizer step about to be taken after `stepsDone` steps. */
export class LrScheduler {
  private readonly lambda: LrLambda;
  stepsDone = 0;

  constructor(
    readonly baseLearningRate: number,
    readonly type: LrSchedulerType,
    readonly warmupSteps: number,
    readonly totalSteps: number,
  ) {
    this.lambda = getLrLambda(type, warmupSteps, totalSteps);
  }

  /** What torch's scheduler.get_last_lr() returns: the rate of the next optimizer step. */
  get currentLearningRate(): number {
    return this.baseLearningRate * this.lambda(this.stepsDone);
  }

  step(): void {
    this.stepsDone += 1;
  }

  /** scheduler.json */
  toJSON(): Record<string, unknown> {
    return {
      lr_scheduler_type: this.type,
      base_lr: this.baseLearningRate,
      warmup_steps: this.warmupSteps,
      total_steps: this.totalSteps,
      step: this.stepsDone,
      last_lr: this.currentLearningRate,
    };
  }
}
