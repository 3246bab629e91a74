import type { UiSource } from '@tunefleet/coordinator';
import type { JobView, LogEntry, RankView } from '@tunefleet/report';
import type { LogEntry as TrainerLogEntry, TrainerCallbacks, TrainerProgress } from '@tunefleet/trainer';

export type RunEndState = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/**
 * A single-process run as the live page's one job, fed by the Trainer's callbacks: step, loss,
 * learning rate, ETA, the log entries (the curves) and this process's step time as rank 0.
 */
export class TrainerUiSource implements UiSource, TrainerCallbacks {
  private readonly listeners = new Set<() => void>();
  private readonly history: LogEntry[] = [];
  private latest: TrainerProgress | undefined;
  private startedAtMs = Date.now();
  private startStep = 0;
  private state = 'RUNNING';
  private errorMessage = '';

  constructor(
    private readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The log entries seen so far (report.html's curves when the run did not finish). */
  get logHistory(): readonly LogEntry[] {
    return this.history;
  }

  onTrainBegin(state: TrainerProgress): void {
    this.startedAtMs = this.now();
    this.startStep = state.globalStep;
    this.update(state);
  }

  onStepEnd(state: TrainerProgress): void {
    this.update(state);
  }

  onLog(entry: TrainerLogEntry, state: TrainerProgress): void {
    this.history.push({ ...entry });
    this.update(state);
  }

  finish(state: RunEndState, errorMessage = ''): void {
    this.state = state;
    this.errorMessage = errorMessage;
    this.changed();
  }

  /** This process as rank 0: its mean step time over the steps of this run. */
  rank(): RankView {
    const step = this.latest?.globalStep ?? 0;
    const steps = step - this.startStep;
    return { rank: 0, workerId: 'this process', globalStep: step, stepSeconds: steps > 0 ? (this.now() - this.startedAtMs) / 1000 / steps : 0, allreduceMs: 0 };
  }

  jobs(): readonly JobView[] {
    const s = this.latest;
    const step = s?.globalStep ?? 0;
    const maxSteps = s?.maxSteps ?? 0;
    const rank = this.rank();
    const lastLoss = [...this.history].reverse().find((entry) => entry['loss'] !== undefined)?.['loss'];
    const lastEval = [...this.history].reverse().find((entry) => Object.keys(entry).some((key) => key.startsWith('eval_')));
    const elapsedSeconds = Math.max((this.now() - this.startedAtMs) / 1000, 1e-3);
    return [
      {
        jobId: this.name,
        name: this.name,
        state: this.state,
        errorMessage: this.errorMessage,
        globalStep: step,
        maxSteps,
        epoch: s?.epoch ?? 0,
        loss: Number.isNaN(s?.loss ?? Number.NaN) ? (lastLoss ?? 0) : s!.loss,
        learningRate: s?.learningRate ?? 0,
        samplesPerSecond: (s?.samplesSeen ?? 0) / elapsedSeconds,
        etaSeconds: rank.stepSeconds * Math.max(maxSteps - step, 0),
        evalMetrics: Object.fromEntries(Object.entries(lastEval ?? {}).filter(([key]) => key.startsWith('eval_'))),
        logHistory: this.history,
        ranks: [rank],
      },
    ];
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  private update(state: TrainerProgress): void {
    this.latest = state;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
