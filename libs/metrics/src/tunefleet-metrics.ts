import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Labels of a rank's series: the job id and the rank (a single-process run is rank 0). */
export const RANK_LABELS = ['job', 'rank'] as const;
export type RankLabel = (typeof RANK_LABELS)[number];

/** States of `tunefleet_jobs{state}`: tunefleet.v1.JobState without its prefix, lower-case. */
export const JOB_STATES = ['pending', 'running', 'restarting', 'waiting_for_workers', 'succeeded', 'failed', 'cancelled'] as const;
/** States of `tunefleet_workers{state}`: idle (registered, no job) and busy (a rank of a job). */
export const WORKER_STATES = ['idle', 'busy'] as const;

// Bucket bounds in seconds. Steps run from milliseconds (a tiny model) to tens of seconds (BERT-base
// on one CPU core); an all-reduce from a millisecond (shared memory) to its 30 s deadline; a
// checkpoint from a fraction of a second to minutes on a network volume.
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];
const ALLREDUCE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CHECKPOINT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// prom-client defaults that are gauges named like counters, which `promtool check metrics` rejects;
// the same figures remain by type in nodejs_active_handles, nodejs_active_requests, nodejs_active_resources.
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface TunefleetMetricsOptions {
  /** prom-client's process and Node.js defaults (`process_cpu_seconds_total`, ...); default true. */
  readonly defaultMetrics?: boolean;
}

/**
 * Every metric tunefleet exports, defined here and nowhere else, in one registry per process (no
 * global registry: two in one process, as in tests, do not collide). A worker fills the rank series,
 * the coordinator the job and worker series (through `CoordinatorMetricsSource`, read at scrape
 * time); a single-process `train` fills the rank series and its own progress and ETA.
 */
export class TunefleetMetrics {
  readonly registry = new Registry();

  readonly trainLoss = this.gauge('tunefleet_train_loss', 'Loss of the last optimizer step (mean over its examples on every rank).', RANK_LABELS);
  readonly learningRate = this.gauge('tunefleet_learning_rate', 'Learning rate the last optimizer step used.', RANK_LABELS);
  readonly gradNorm = this.gauge('tunefleet_grad_norm', 'Global L2 norm of the gradients of the last step, before clipping.', RANK_LABELS);
  readonly globalStep = this.gauge('tunefleet_global_step', 'Optimizer steps done (HF state.global_step).', RANK_LABELS);
  readonly epoch = this.gauge('tunefleet_epoch', 'Fractional epoch (1.5 = half-way through the second).', RANK_LABELS);
  readonly samplesTotal = this.counter('tunefleet_samples_total', 'Training examples this rank has processed.', RANK_LABELS);
  readonly tokensTotal = this.counter('tunefleet_tokens_total', 'Input tokens (padding included, as HF num_input_tokens_seen) this rank has processed.', RANK_LABELS);
  readonly stepSeconds = this.histogram(
    'tunefleet_step_seconds',
    "Time of this rank's own part of an optimizer step (forward, backward, optimizer), without the all-reduce wait: a straggler shows here.",
    RANK_LABELS,
    STEP_BUCKETS,
  );
  readonly allReduceSeconds = this.histogram('tunefleet_allreduce_seconds', 'Time of the gradient all-reduce of a step, waiting for peers included.', RANK_LABELS, ALLREDUCE_BUCKETS);
  readonly allReduceBytesTotal = this.counter('tunefleet_allreduce_bytes_total', 'Bytes of gradient buffer all-reduced (buffer sizes, not wire bytes).', RANK_LABELS);
  readonly checkpointSeconds = this.histogram('tunefleet_checkpoint_seconds', 'Time to write one checkpoint (model, optimizer, trainer state).', RANK_LABELS, CHECKPOINT_BUCKETS);
  readonly evalMetric = this.gauge('tunefleet_eval_metric', 'Latest evaluation metric, by its HF name (eval_loss, eval_accuracy, ...).', [...RANK_LABELS, 'name']);
  readonly lastStepTimestampSeconds = this.gauge('tunefleet_last_step_timestamp_seconds', 'Unix time of the last finished optimizer step.', RANK_LABELS);
  readonly nonfiniteStepsTotal = this.counter('tunefleet_nonfinite_steps_total', 'Optimizer steps whose loss or gradient norm was NaN or infinite.', RANK_LABELS);

  readonly jobProgressRatio = this.gauge('tunefleet_job_progress_ratio', 'Optimizer steps done over max_steps, 0 to 1.', ['job']);
  readonly jobEtaSeconds = this.gauge('tunefleet_job_eta_seconds', 'Estimated seconds until the last optimizer step, at the mean step rate so far.', ['job']);
  readonly jobs = this.gauge('tunefleet_jobs', 'Jobs by state: those held now, and the finished ones since this coordinator started.', ['state']);
  readonly workers = this.gauge('tunefleet_workers', 'Registered workers by state.', ['state']);
  readonly workerRestartsTotal = this.counter('tunefleet_worker_restarts_total', "Times a job's ring was re-formed after a rank was lost or failed (elastic restarts).", ['job']);

  /** Run before every exposition; the coordinator sets its gauges from its state here. */
  private readonly beforeCollect: (() => void)[] = [];

  constructor(options: TunefleetMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  /** Runs `refresh` at every scrape, before the series are read. */
  onCollect(refresh: () => void): void {
    this.beforeCollect.push(refresh);
  }

  /** The Prometheus text exposition of every series. */
  async exposition(): Promise<string> {
    for (const refresh of this.beforeCollect) refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric name this registry exports (histograms by their base name), defaults included. */
  names(): string[] {
    return this.registry.getMetricsAsArray().map((metric) => metric.name);
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}

/** The tunefleet metric names (without prom-client's defaults), for dashboards, rules and tests. */
export const TUNEFLEET_METRIC_NAMES: readonly string[] = new TunefleetMetrics({ defaultMetrics: false }).names();
