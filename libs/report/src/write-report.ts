import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from './job-view.ts';
import { ReportError } from './report-error.ts';
import { renderTrainingReport, type TrainingReportInput } from './training-report.ts';

export const REPORT_FILE = 'report.html';

export interface WriteReportOptions extends Omit<TrainingReportInput, 'logHistory'> {
  readonly outputDir: string;
  /** The log entries the caller saw (Trainer callbacks, WatchJob): used unless trainer_state.json is final. */
  readonly seenLogHistory: readonly LogEntry[];
}

/** `log_history` of `<dir>/trainer_state.json`; undefined when the file is absent. */
export async function readLogHistory(dir: string): Promise<LogEntry[] | undefined> {
  const file = join(dir, 'trainer_state.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ReportError('TRAINER_STATE_INVALID', `${file}: cannot read (${(error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReportError('TRAINER_STATE_INVALID', `${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
  const history = (json as { log_history?: unknown })?.log_history;
  if (!Array.isArray(history)) throw new ReportError('TRAINER_STATE_INVALID', `${file}: log_history is not an array`);
  return history as LogEntry[];
}

/**
 * Writes `<outputDir>/report.html` at the end of a run and returns its path. A succeeded run's
 * curves come from the trainer_state.json it just wrote (the whole history, a resumed run's earlier
 * steps included); a failed or cancelled run wrote none (an older one there may be stale), so its
 * curves come from the entries the caller saw.
 */
export async function writeTrainingReport(options: WriteReportOptions): Promise<string> {
  const { outputDir, seenLogHistory, ...facts } = options;
  const fromState = options.state === 'succeeded' ? await readLogHistory(outputDir) : undefined;
  const html = renderTrainingReport({ ...facts, logHistory: fromState ?? seenLogHistory });
  const file = join(outputDir, REPORT_FILE);
  try {
    await mkdir(outputDir, { recursive: true });
    await writeFile(file, html);
  } catch (error) {
    throw new ReportError('REPORT_WRITE_FAILED', `${file}: cannot write the training report (${(error as Error).message}); check the output directory's permissions and free space.`, {
      cause: error,
    });
  }
  return file;
}
