import type { Example } from '../read-examples.ts';
import { readRawFile, resolveFormat, type DataFormat } from '../raw-file.ts';
import { readDelimited, readJsonLines } from '../source-rows.ts';
import { QualityError } from './quality-error.ts';

export interface GroupColumnOptions {
  /** The same format, quote and delimiter the examples were read with. */
  readonly format?: DataFormat;
  readonly quote?: string | false;
  readonly delimiter?: string;
}

/** The value slice metrics give a row with no value in the group column: reported as its own group. */
export const MISSING_GROUP = '(missing)';

/**
 * The group column's value for each example (matched by line), for slice metrics
 * (`evaluate --group-column COL`). `readExamples` keeps only text and label, so the file is read a
 * second time; an empty or absent value becomes MISSING_GROUP rather than dropping the row.
 */
export async function readGroupColumn(
  file: string,
  column: string,
  examples: readonly Example[],
  options: GroupColumnOptions = {},
): Promise<string[]> {
  const format = resolveFormat(file, options.format);
  const raw = await readRawFile(file);
  const table =
    format === 'jsonl'
      ? readJsonLines(raw)
      : readDelimited(raw, {
          delimiter: options.delimiter ?? (format === 'tsv' ? '\t' : ','),
          quote: options.quote ?? (format === 'tsv' ? false : '"'),
        });
  if (!table.columns.includes(column)) {
    throw new QualityError(
      'QUALITY_MISSING_COLUMN',
      `${file}: no group column "${column}"; the file has [${table.columns.join(', ')}]. Pass one of those as the group column.`,
    );
  }
  const byLine = new Map(table.rows.map((row) => [row.line, row.values[column]]));
  return examples.map((example) => groupValue(byLine.get(example.line)));
}

function groupValue(value: unknown): string {
  if (value === undefined || value === null) return MISSING_GROUP;
  const text = typeof value === 'string' ? value.trim() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text === '' ? MISSING_GROUP : text;
}
