import { DataError, noExamplesError, settleBadRows, type BadRow } from './data-error.ts';
import { buildLabelMap, unknownLabelReason, type LabelMap } from './label-map.ts';
import { readRawFile, resolveFormat, type DataFormat } from './raw-file.ts';
import { readDelimited, readJsonLines, type SourceRow, type SourceTable } from './source-rows.ts';

export interface ReadExamplesOptions {
  /** Default: from the extension (.csv, .tsv, .jsonl, .json). */
  readonly format?: DataFormat;
  /** Default: the first of `text`, `sentence`, `sentence1` that the file has. */
  readonly textColumn?: string;
  /** Second text of a pair task (e.g. `sentence2`); default none. */
  readonly textPairColumn?: string;
  /** Default `label`; `null` reads unlabelled text (prediction). */
  readonly labelColumn?: string | null;
  /** An existing map (from a model's config.json); default: built from this file's labels. */
  readonly labelMap?: LabelMap;
  /** Default false: any bad row throws one DATA_INVALID_ROWS error listing them all. */
  readonly skipBadRows?: boolean;
  /** CSV/TSV quote character; default `"` for CSV, none for TSV (GLUE sentences contain `"`). */
  readonly quote?: string | false;
  /** CSV/TSV field delimiter; default `,` for CSV and a tab for TSV. */
  readonly delimiter?: string;
}

export interface Example {
  /** 1-based physical line the row starts on. */
  readonly line: number;
  readonly text: string;
  readonly textPair?: string;
  /** The label as written in the file (JSON numbers in their string form, e.g. "1"). */
  readonly label?: string;
  /** `labelMap.label2id[label]`. */
  readonly labelId?: number;
}

export interface ExampleSet {
  readonly file: string;
  readonly examples: readonly Example[];
  /** The map the labels were resolved with; undefined when reading unlabelled text. */
  readonly labelMap?: LabelMap;
  /** Rows skipped under `skipBadRows` (always empty otherwise: bad rows throw). */
  readonly badRows: readonly BadRow[];
}

const DEFAULT_TEXT_COLUMNS = ['text', 'sentence', 'sentence1'];

/** Reads a CSV, TSV or JSONL file of text (or text pair) classification examples. */
export async function readExamples(file: string, options: ReadExamplesOptions = {}): Promise<ExampleSet> {
  const format = resolveFormat(file, options.format);
  const raw = await readRawFile(file);
  const table =
    format === 'jsonl'
      ? readJsonLines(raw)
      : readDelimited(raw, {
          delimiter: options.delimiter ?? (format === 'tsv' ? '\t' : ','),
          quote: options.quote ?? (format === 'tsv' ? false : '"'),
        });
  const columns = resolveColumns(file, table, options);
  const badRows: BadRow[] = [];
  const examples: Example[] = [];
  for (const row of table.rows) {
    const result = toExample(row, columns);
    if (typeof result === 'string') badRows.push({ file, line: row.line, reason: result });
    else examples.push(result);
  }
  const labelMap = columns.label === null ? undefined : (options.labelMap ?? buildLabelMap(labelsOf(examples)));
  const labelled = labelMap ? resolveLabels(file, examples, labelMap, badRows) : examples;
  settleBadRows(file, badRows, options.skipBadRows);
  if (labelled.length === 0) throw noExamplesError(file, badRows.length);
  return { file, examples: labelled, labelMap, badRows };
}

interface Columns {
  readonly text: string;
  readonly pair?: string;
  readonly label: string | null;
}

function resolveColumns(file: string, table: SourceTable, options: ReadExamplesOptions): Columns {
  const text = options.textColumn ?? DEFAULT_TEXT_COLUMNS.find((name) => table.columns.includes(name));
  const label = options.labelColumn === undefined ? 'label' : options.labelColumn;
  // A JSONL file with no readable object has no columns to check; its rows report themselves.
  if (table.columns.length === 0 && table.rows.length > 0) return { text: text ?? 'text', pair: options.textPairColumn, label };
  requireColumn(file, table, 'text', text ?? DEFAULT_TEXT_COLUMNS.join('" or "'));
  if (options.textPairColumn !== undefined) requireColumn(file, table, 'text pair', options.textPairColumn);
  if (label !== null) requireColumn(file, table, 'label', label);
  return { text: text as string, pair: options.textPairColumn, label };
}

function requireColumn(file: string, table: SourceTable, role: string, column: string): void {
  if (table.columns.includes(column)) return;
  throw new DataError(
    'DATA_MISSING_COLUMN',
    `${file}: no ${role} column "${column}"; the file has [${table.columns.join(', ')}]. ` +
      `Pass the name of the ${role} column.`,
  );
}

/** The example, or the reason the row is bad (the first problem found). */
function toExample(row: SourceRow, columns: Columns): Example | string {
  if (row.reason !== undefined) return row.reason;
  const text = textField(row, columns.text);
  if (typeof text !== 'string') return text.reason;
  const pair = columns.pair === undefined ? undefined : textField(row, columns.pair);
  if (pair !== undefined && typeof pair !== 'string') return pair.reason;
  if (columns.label === null) return { line: row.line, text, textPair: pair };
  const label = labelField(row, columns.label);
  if (typeof label !== 'string') return label.reason;
  return { line: row.line, text, textPair: pair, label };
}

function textField(row: SourceRow, column: string): string | { reason: string } {
  const value = row.values[column];
  if (value === undefined) return { reason: `missing column "${column}"` };
  if (typeof value !== 'string') return { reason: `column "${column}" must be a string, found ${describe(value)}` };
  if (value.trim() === '') return { reason: `empty text in column "${column}"` };
  return value;
}

function labelField(row: SourceRow, column: string): string | { reason: string } {
  const value = row.values[column];
  if (value === undefined) return { reason: `missing column "${column}"` };
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value !== 'string') {
    return { reason: `label in column "${column}" must be a string or an integer, found ${describe(value)}` };
  }
  const label = value.trim();
  if (label === '') return { reason: `empty label in column "${column}"` };
  return label;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' ? `the number ${value}` : typeof value;
}

function labelsOf(examples: readonly Example[]): string[] {
  return examples.map((example) => example.label as string);
}

function resolveLabels(file: string, examples: Example[], map: LabelMap, badRows: BadRow[]): Example[] {
  const kept: Example[] = [];
  for (const example of examples) {
    const label = example.label as string;
    const reason = unknownLabelReason(map, label);
    if (reason !== undefined) badRows.push({ file, line: example.line, reason });
    else kept.push({ ...example, labelId: map.label2id[label] });
  }
  return kept;
}
