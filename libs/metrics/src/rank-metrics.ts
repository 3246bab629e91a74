import type { TunefleetMetrics } from './tunefleet-metrics.ts';

/** One optimizer step as the trainer reports it (the shape of libs/trainer's `StepSample`). */
export interface RankStep {
  readonly step: number;
  readonly maxSteps: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  readonly gradNorm: number;
  /** Examples and input tokens of this rank in this step. */
  readonly samples: number;
  readonly tokens: number;
  /** This rank's own compute time for the step, without the gradient all-reduce. */
  readonly stepSeconds: number;
}

export interface RankMetricsOptions {
  readonly job: string;
  readonly rank: number;
  /**
   * Also set `tunefleet_job_progress_ratio` and `tunefleet_job_eta_seconds` for the job: a
   * single-process run has no coordinator to export them.
   */
  readonly isJobProgressExported?: boolean;
  readonly nowMs?: () => number;
}

/**
 * The series of one rank of one job. Its methods match libs/trainer's TrainingObserver, so the app
 * hands it to the Trainer as one (libs/trainer does not import this library, nor prom-client).
 */
export class RankMetrics {
  private readonly labels: { job: string; rank: string };
  private readonly nowMs: () => number;
  private trainBeganMs: number | undefined;
  private firstStep = 0;

  constructor(
    private readonly metrics: TunefleetMetrics,
    private readonly options: RankMetricsOptions,
  ) {
    this.labels = { job: options.job, rank: String(options.rank) };
    this.nowMs = options.nowMs ?? Date.now;
    // At 0 from the start: increase() in an alert then sees the first non-finite step too.
    metrics.nonfiniteStepsTotal.inc(this.labels, 0);
  }

  /** Training (re)started at `step` of `maxSteps`: the stuck-job alert counts from here until the first step. */
  onTrainBegin(step: number, maxSteps: number): void {
    this.trainBeganMs = this.nowMs();
    this.firstStep = step;
    this.metrics.globalStep.set(this.labels, step);
    this.metrics.lastStepTimestampSeconds.set(this.labels, this.trainBeganMs / 1000);
    if (this.options.isJobProgressExported) this.metrics.jobProgressRatio.set({ job: this.options.job }, maxSteps > 0 ? step / maxSteps : 0);
  }

  onStep(sample: RankStep): void {
    const m = this.metrics;
    const nowMs = this.nowMs();
    m.globalStep.set(this.labels, sample.step);
    m.epoch.set(this.labels, sample.epoch);
    m.trainLoss.set(this.labels, sample.loss);
    m.learningRate.set(this.labels, sample.learningRate);
    m.gradNorm.set(this.labels, sample.gradNorm);
    m.samplesTotal.inc(this.labels, sample.samples);
    m.tokensTotal.inc(this.labels, sample.tokens);
    m.stepSeconds.observe(this.labels, Math.max(sample.stepSeconds, 0));
    m.lastStepTimestampSeconds.set(this.labels, nowMs / 1000);
    if (!Number.isFinite(sample.loss) || !Number.isFinite(sample.gradNorm)) m.nonfiniteStepsTotal.inc(this.labels);
    if (this.options.isJobProgressExported) this.setProgress(sample.step, sample.maxSteps, nowMs);
  }

  /** Evaluation metrics under their HF names (`eval_accuracy`); runtime and speed entries are left out. */
  onEvaluate(metrics: Readonly<Record<string, number>>): void {
    for (const [name, value] of Object.entries(metrics)) {
      if (/_(runtime|samples_per_second|steps_per_second)$/.test(name)) continue;
      this.metrics.evalMetric.set({ ...this.labels, name }, value);
    }
  }

  onCheckpoint(seconds: number): void {
    this.metrics.checkpointSeconds.observe(this.labels, Math.max(seconds, 0));
  }

  /** One step's gradient all-reduce (from the worker's RingGradientSync stats). */
  onAllReduce(seconds: number, bytes: number): void {
    this.metrics.allReduceSeconds.observe(this.labels, Math.max(seconds, 0));
    this.metrics.allReduceBytesTotal.inc(this.labels, Math.max(bytes, 0));
  }

  private setProgress(step: number, maxSteps: number, nowMs: number): void {
    const job = { job: this.options.job };
    this.metrics.jobProgressRatio.set(job, maxSteps > 0 ? Math.min(step / maxSteps, 1) : 0);
    const stepsDone = step - this.firstStep;
    if (this.trainBeganMs === undefined || stepsDone <= 0) return;
    const secondsPerStep = (nowMs - this.trainBeganMs) / 1000 / stepsDone;
    this.metrics.jobEtaSeconds.set(job, secondsPerStep * Math.max(maxSteps - step, 0));
  }
}
