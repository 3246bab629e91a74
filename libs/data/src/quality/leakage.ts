import type { Example } from '../read-examples.ts';
import { exampleKey } from './normalize-text.ts';
import type { LeakageReport, LeakedRow } from './quality-report.ts';

/**
 * Rows of an evaluation split whose normalised text is also in train: the model has seen them, so
 * they measure memory rather than generalisation.
 */
export function leakage(examples: readonly Example[], trainGroups: ReadonlyMap<string, readonly Example[]>): LeakageReport {
  const rows: LeakedRow[] = [];
  let labelDiffers = 0;
  for (const example of examples) {
    const trainRows = trainGroups.get(exampleKey(example));
    if (trainRows === undefined) continue;
    rows.push({ line: example.line, trainLines: trainRows.map((row) => row.line) });
    if (example.label !== undefined && trainRows.every((row) => row.label !== example.label)) labelDiffers += 1;
  }
  return { count: rows.length, share: examples.length === 0 ? 0 : rows.length / examples.length, rows, labelDiffers };
}
