import { basename, resolve } from 'node:path';
import { startUiServer, type RunningUiServer } from '@tunefleet/coordinator';
import type { TrainerCallbacks } from '@tunefleet/trainer';
import { livePageToken } from './live-page-options.ts';
import { writeRunReport } from './run-report.ts';
import { TrainerUiSource, type RunEndState } from './trainer-ui-source.ts';

export interface RunMonitorInput {
  readonly outputDir: string;
  /** The resolved configuration, as report.html shows it. */
  readonly configuration: Readonly<Record<string, unknown>>;
  /** Serve the live page on this port (0: any free one); unset: no page. */
  readonly uiPort?: number;
  readonly uiHost: string;
  readonly say: (line: string) => void;
}

/** A single-process run's live page and report.html, fed by the Trainer's callbacks. */
export interface RunMonitor {
  readonly callbacks: TrainerCallbacks;
  /** True once SIGINT/SIGTERM asked the run to stop. */
  readonly isCancelled: boolean;
  /** Until `end`: the first SIGINT or SIGTERM calls `requestStop` (the run saves and ends); a second one kills. */
  stopOnSignal(requestStop: () => void): void;
  /** Writes report.html into the output directory and stops the live page. */
  end(state: RunEndState, errorMessage?: string): Promise<void>;
}

export async function startRunMonitor(input: RunMonitorInput): Promise<RunMonitor> {
  const name = basename(resolve(input.outputDir));
  const source = new TrainerUiSource(name);
  let ui: RunningUiServer | undefined;
  if (input.uiPort !== undefined) {
    ui = await startUiServer({ host: input.uiHost, port: input.uiPort, token: livePageToken(), source, title: `tunefleet train: ${name}` });
    input.say(`live page on ${ui.url} (bound to ${input.uiHost}); open once: ${ui.startUrl}`);
  }
  let isCancelled = false;
  let onSignal: (() => void) | undefined;
  const detach = (): void => {
    if (onSignal === undefined) return;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    onSignal = undefined;
  };
  // Training steps are synchronous tensor work: without a turn of the event loop between steps the
  // page's HTTP requests would wait for the run to end. One setImmediate per step lets them through.
  const callbacks: TrainerCallbacks =
    ui === undefined
      ? source
      : {
          onTrainBegin: (state) => source.onTrainBegin(state),
          onLog: (entry, state) => source.onLog(entry, state),
          onStepEnd: async (state) => {
            source.onStepEnd(state);
            await new Promise<void>((resolve) => setImmediate(resolve));
          },
        };
  return {
    callbacks,
    get isCancelled() {
      return isCancelled;
    },
    stopOnSignal(requestStop) {
      onSignal = () => {
        detach(); // the next signal takes its default course
        isCancelled = true;
        input.say('tunefleet: stopping after this step; the model and report.html are saved (again to kill now)');
        requestStop();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    },
    async end(state, errorMessage = '') {
      detach();
      source.finish(state, errorMessage);
      const finalState = state === 'SUCCEEDED' ? 'succeeded' : state === 'CANCELLED' ? 'cancelled' : 'failed';
      await writeRunReport(
        {
          outputDir: input.outputDir,
          title: name,
          state: finalState,
          ...(errorMessage === '' ? {} : { errorMessage }),
          configuration: input.configuration,
          seenLogHistory: source.logHistory,
          ranks: [source.rank()],
        },
        input.say,
      );
      await ui?.stop();
    },
  };
}
