import { parse } from 'csv-parse/sync';
import { DataError } from './data-error.ts';
import { firstBadUtf8Line, lineAt, decodeLines, type RawFile } from './raw-file.ts';

/** One data row before column checks: its values by column, or the reason it is unreadable. */
export interface SourceRow {
  readonly line: number;
  readonly values: Readonly<Record<string, unknown>>;
  readonly reason?: string;
}

export interface SourceTable {
  /** The header's columns (CSV/TSV), or every key seen in any row (JSONL). */
  readonly columns: readonly string[];
  readonly rows: readonly SourceRow[];
}

export interface DelimitedOptions {
  readonly delimiter: string;
  /** Quote character, or false to read `"` as an ordinary character (GLUE TSV files). */
  readonly quote: string | false;
}

interface Record_ {
  readonly fields: string[];
  readonly startByte: number;
  readonly endByte: number;
}

/** CSV/TSV with a header row; a record's line is the physical line it starts on. */
export function readDelimited(raw: RawFile, options: DelimitedOptions): SourceTable {
  const records = parseRecords(raw, options);
  const header = records.shift();
  if (!header || isBlank(header)) {
    throw new DataError('DATA_NO_EXAMPLES', `${raw.file}: empty file; expected a header row naming the columns.`);
  }
  const columns = header.fields.map((name) => name.trim());
  const rows: SourceRow[] = [];
  for (const record of records) {
    if (isBlank(record)) continue;
    const line = lineAt(raw, record.startByte);
    const badLine = firstBadUtf8Line(raw, line, lineAt(raw, Math.max(record.startByte, record.endByte - 1)));
    const values: Record<string, string> = {};
    record.fields.forEach((field, i) => {
      if (i < columns.length) values[columns[i]] = field;
    });
    if (badLine !== undefined) rows.push({ line: badLine, values, reason: 'invalid UTF-8' });
    else if (record.fields.length > columns.length) {
      rows.push({ line, values, reason: extraFieldsReason(record.fields.length, columns.length, options) });
    } else rows.push({ line, values });
  }
  return { columns, rows };
}

function parseRecords(raw: RawFile, options: DelimitedOptions): Record_[] {
  const records: Record_[] = [];
  let endByte = 0;
  try {
    parse(Buffer.from(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength), {
      bom: true,
      delimiter: options.delimiter,
      quote: options.quote === false ? null : options.quote,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      on_record: (record: string[], context) => {
        records.push({ fields: record.map(stripCr), startByte: endByte, endByte: context.bytes });
        endByte = context.bytes;
        return null;
      },
    });
  } catch (error) {
    const line = lineAt(raw, endByte);
    const detail = error instanceof Error ? error.message : String(error);
    throw new DataError(
      'DATA_PARSE_FAILED',
      `${raw.file}:${line}: cannot parse this record (${detail}); an unclosed quote starting here is the usual cause.`,
    );
  }
  return records;
}

/** csv-parse keeps `\r` when the file mixes `\r\n` and `\n`; a trailing `\r` is never data. */
function stripCr(field: string): string {
  return field.endsWith('\r') ? field.slice(0, -1) : field;
}

function isBlank(record: Record_): boolean {
  return record.fields.length === 1 && record.fields[0].trim() === '';
}

function extraFieldsReason(found: number, expected: number, options: DelimitedOptions): string {
  const delimiter = options.delimiter === '\t' ? 'tab' : `"${options.delimiter}"`;
  return `row has ${found} fields, the header has ${expected}; a ${delimiter} inside a field must be quoted`;
}

/** JSON Lines: one object per non-blank line. */
export function readJsonLines(raw: RawFile): SourceTable {
  const lines = decodeLines(raw);
  const rows: SourceRow[] = [];
  const columns = new Set<string>();
  lines.forEach((text, index) => {
    const line = index + 1;
    if (text.trim() === '') return;
    if (raw.badUtf8Lines.has(line)) return rows.push({ line, values: {}, reason: 'invalid UTF-8' });
    const parsed = parseJson(text);
    if (typeof parsed === 'string') return rows.push({ line, values: {}, reason: parsed });
    Object.keys(parsed).forEach((key) => columns.add(key));
    rows.push({ line, values: parsed });
  });
  return { columns: [...columns], rows };
}

/** The object on a JSONL line, or the reason it is not one. */
function parseJson(text: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `invalid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  }
  return value as Record<string, unknown>;
}
