import { noExamplesError, settleBadRows, type BadRow } from './data-error.ts';
import { decodeLines, readRawFile } from './raw-file.ts';
import type { Example, ExampleSet } from './read-examples.ts';

/**
 * Prediction input: one text per line. Blank lines are skipped but still counted, so each
 * example's `line` is its physical line in the file. Lines that are not valid UTF-8 are bad rows.
 */
export async function readTextLines(file: string, options: { skipBadRows?: boolean } = {}): Promise<ExampleSet> {
  const raw = await readRawFile(file);
  const examples: Example[] = [];
  const badRows: BadRow[] = [];
  decodeLines(raw).forEach((text, index) => {
    const line = index + 1;
    if (raw.badUtf8Lines.has(line)) badRows.push({ file, line, reason: 'invalid UTF-8' });
    else if (text.trim() !== '') examples.push({ line, text });
  });
  settleBadRows(file, badRows, options.skipBadRows);
  if (examples.length === 0) throw noExamplesError(file, badRows.length);
  return { file, examples, badRows };
}
