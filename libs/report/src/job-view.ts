/** One log_history entry, keyed as Hugging Face logs it (`loss`, `learning_rate`, `eval_accuracy`, `step`). */
export type LogEntry = Readonly<Record<string, number>>;

/** One rank's latest figures (a single-process run has one, rank 0). */
export interface RankView {
  readonly rank: number;
  readonly workerId: string;
  readonly globalStep: number;
  /** Mean wall time of this rank's optimizer steps so far. */
  readonly stepSeconds: number;
  /** Time this rank spent in all-reduce so far (0 in one process). */
  readonly allreduceMs: number;
}

/**
 * What the live page shows of one job, from the coordinator's job store or a single process's
 * Trainer callbacks. `state` is the name without its prefix: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED.
 */
export interface JobView {
  readonly jobId: string;
  readonly name: string;
  readonly state: string;
  readonly errorMessage: string;
  readonly globalStep: number;
  readonly maxSteps: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly samplesPerSecond: number;
  readonly etaSeconds: number;
  readonly evalMetrics: Readonly<Record<string, number>>;
  readonly logHistory: readonly LogEntry[];
  readonly ranks: readonly RankView[];
}

/** Share of a rank's wall time spent in all-reduce, 0..1 (0 when it has not stepped yet). */
export function allreduceShare(rank: RankView): number {
  const wallMs = rank.stepSeconds * rank.globalStep * 1000;
  return wallMs > 0 ? Math.min(rank.allreduceMs / wallMs, 1) : 0;
}
