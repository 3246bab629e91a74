import { JobProgress, JobState } from '@tunefleet/proto';
import type { LogEntry, TrainerCallbacks, TrainerProgress } from '@tunefleet/trainer';
import type { RingSyncStats } from './ring-gradient-sync.ts';

export interface ProgressSink {
  /**
   * Sends one report; resolves with the coordinator's should_stop. `isFinal`: the rank's last
   * report (rank 0's SUCCEEDED, another rank's last ledger rows), retried while the coordinator is
   * unreachable (it may be restarting), since nothing else would carry it.
   */
  (progress: JobProgress, options?: { readonly isFinal?: boolean }): Promise<boolean>;
}

// A step update at most this often between log entries: a watcher's progress bar moves even with
// HF's default logging_steps of 500, and the coordinator sees one small write a second.
const STEP_REPORT_INTERVAL_MS = 1_000;

/**
 * Trainer callbacks that turn the run into JobProgress reports (step, loss, lr, grad norm,
 * samples/s, eval metrics, percent done, ETA, step time, all-reduce time and bytes, checkpoint save time) at
 * every log entry and evaluation (carrying the entry as `log_entry_json`), and at most once a second
 * in between. `onStopRequested` fires when the coordinator answers should_stop.
 */
export class ProgressReporter implements TrainerCallbacks {
  private startedAtMs = Date.now();
  /** global_step at train begin: a resumed run's step time counts only the steps it ran. */
  private startStep = 0;
  private lastStepUnixMs = 0;
  private lastCallbackMs = 0;
  private lastReportMs = 0;
  private checkpointSaveMs = 0;
  private loss = Number.NaN;
  private learningRate = 0;
  private gradNorm = 0;
  private evalMetrics: Record<string, number> = {};
  private latest: TrainerProgress | undefined;

  constructor(
    private readonly jobId: string,
    private readonly worldSize: number,
    private readonly syncStats: () => RingSyncStats | undefined,
    private readonly sink: ProgressSink,
    private readonly onStopRequested: () => void,
  ) {}

  onTrainBegin(state: TrainerProgress): void {
    this.startedAtMs = Date.now();
    this.startStep = state.globalStep;
    this.latest = state;
  }

  async onStepEnd(state: TrainerProgress): Promise<void> {
    this.lastStepUnixMs = Date.now();
    this.latest = state;
    this.lastCallbackMs = Date.now();
    if (this.lastStepUnixMs - this.lastReportMs >= STEP_REPORT_INTERVAL_MS) await this.report(JobState.JOB_STATE_RUNNING);
  }

  onEvaluate(): void {
    this.lastCallbackMs = Date.now();
  }

  /** The Trainer logs, evaluates, then saves: the save took from the last of those callbacks to here. */
  onSave(): void {
    this.checkpointSaveMs = Date.now() - this.lastCallbackMs;
  }

  async onLog(entry: LogEntry, state: TrainerProgress): Promise<void> {
    this.latest = state;
    if (entry['loss'] !== undefined) this.loss = entry['loss'];
    if (entry['learning_rate'] !== undefined) this.learningRate = entry['learning_rate'];
    if (entry['grad_norm'] !== undefined) this.gradNorm = entry['grad_norm'];
    const evals = Object.entries(entry).filter(([key]) => key.startsWith('eval_'));
    if (evals.length > 0) this.evalMetrics = Object.fromEntries(evals);
    await this.report(JobState.JOB_STATE_RUNNING, entry);
    this.lastCallbackMs = Date.now();
  }

  /** The report for `state` built from what the run has shown so far. */
  snapshot(state: JobState, logEntry?: LogEntry): JobProgress {
    const s = this.latest;
    const elapsedSeconds = Math.max((Date.now() - this.startedAtMs) / 1000, 1e-3);
    const step = s?.globalStep ?? 0;
    const maxSteps = s?.maxSteps ?? 0;
    const stats = this.syncStats();
    return JobProgress.fromPartial({
      jobId: this.jobId,
      state,
      globalStep: step,
      maxSteps,
      epoch: s?.epoch ?? 0,
      loss: Number.isNaN(this.loss) ? (s?.loss ?? 0) : this.loss,
      learningRate: this.learningRate || (s?.learningRate ?? 0),
      gradNorm: this.gradNorm,
      // Every rank trains on its share of each step; the ring's throughput is W times this rank's.
      samplesPerSecond: ((s?.samplesSeen ?? 0) * this.worldSize) / elapsedSeconds,
      evalMetrics: this.evalMetrics,
      percentDone: maxSteps > 0 ? (100 * step) / maxSteps : 0,
      etaSeconds: step > 0 ? (elapsedSeconds / step) * Math.max(maxSteps - step, 0) : 0,
      lastStepUnixMs: this.lastStepUnixMs,
      allreduceMs: stats?.milliseconds ?? 0,
      allreduceBytes: stats?.bytes ?? 0,
      checkpointSaveMs: this.checkpointSaveMs,
      stepSeconds: step > this.startStep ? elapsedSeconds / (step - this.startStep) : 0,
      logEntryJson: logEntry === undefined ? '' : JSON.stringify(logEntry),
    });
  }

  async report(state: JobState, logEntry?: LogEntry): Promise<void> {
    this.lastReportMs = Date.now();
    if (await this.sink(this.snapshot(state, logEntry))) this.onStopRequested();
  }
}
