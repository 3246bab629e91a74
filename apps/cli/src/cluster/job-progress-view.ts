import type { JobProgress } from '@tunefleet/proto';
import type { ProgressReporter } from '../progress.ts';

export interface JobProgressView {
  /** Feed every WatchJob update (rank 0's reports). */
  onProgress(progress: JobProgress): void;
  /** The Trainer's log entries seen so far, in order (the last train entry has train_loss). */
  readonly logEntries: readonly Record<string, unknown>[];
}

/**
 * Shows a job's progress as `tunefleet train` shows its own: one bar on a terminal (steps, loss,
 * samples/s of the whole ring), JSON lines otherwise, with the Trainer's log entries (loss every
 * logging_steps, eval metrics, train metrics) passed on exactly as rank 0 logged them.
 */
export function createJobProgressView(progress: ProgressReporter): JobProgressView {
  const logEntries: Record<string, unknown>[] = [];
  let isStarted = false;
  let lastStep = -1;
  // A terminal update repeats the last report; an entry is passed on once.
  let lastEntryJson = '';
  return {
    logEntries,
    onProgress(update) {
      if (update.maxSteps > 0 && !isStarted) {
        isStarted = true;
        progress.start(update.maxSteps);
      }
      if (isStarted && update.globalStep !== lastStep) {
        lastStep = update.globalStep;
        progress.step({
          step: update.globalStep,
          totalSteps: update.maxSteps,
          loss: update.globalStep > 0 ? update.loss : undefined,
          samplesPerSecond: update.samplesPerSecond,
        });
      }
      if (update.logEntryJson !== '' && update.logEntryJson !== lastEntryJson) {
        lastEntryJson = update.logEntryJson;
        const entry = JSON.parse(update.logEntryJson) as Record<string, unknown>;
        logEntries.push(entry);
        progress.log(entry);
      }
    },
  };
}
