import { writeTrainingReport, type WriteReportOptions } from '@tunefleet/report';

/**
 * Writes report.html where the run's output directory is finished. A report that cannot be
 * written is said on stderr and does not change the run's outcome (the model is already saved).
 */
export async function writeRunReport(options: WriteReportOptions, say: (line: string) => void): Promise<void> {
  try {
    say(`training report: ${await writeTrainingReport(options)}`);
  } catch (error) {
    say(`tunefleet: warning: ${(error as Error).message}`);
  }
}
