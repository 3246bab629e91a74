import { TunefleetError } from '@tunefleet/core';

/** Stable codes for every way reading or batching data can fail. */
export type DataErrorCode =
  | 'DATA_FILE_NOT_FOUND'
  | 'DATA_READ_FAILED'
  | 'DATA_UNKNOWN_FORMAT'
  | 'DATA_MISSING_COLUMN'
  | 'DATA_PARSE_FAILED'
  | 'DATA_INVALID_ROWS'
  | 'DATA_NO_EXAMPLES'
  | 'DATA_BAD_LABEL_MAP'
  | 'DATA_BAD_ARGUMENT';

/** One rejected row: `file:line: reason`, line 1-based and physical (the header is line 1). */
export interface BadRow {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

/** At most this many bad rows are quoted in one error message; the rest are counted. */
export const MAX_LISTED_BAD_ROWS = 20;

export class DataError extends TunefleetError<DataErrorCode> {
  override readonly name: string = 'DataError';

  constructor(
    code: DataErrorCode,
    message: string,
    /** Every bad row behind a DATA_INVALID_ROWS error (the message lists only the first ones). */
    readonly badRows: readonly BadRow[] = [],
  ) {
    super(code, message);
  }
}

export function formatBadRow(row: BadRow): string {
  return `${row.file}:${row.line}: ${row.reason}`;
}

/** Orders bad rows by line so the report reads top to bottom. */
export function sortBadRows(rows: BadRow[]): BadRow[] {
  return rows.sort((a, b) => a.line - b.line);
}

/** The single error thrown when a file has bad rows and `skipBadRows` is off. */
export function invalidRowsError(file: string, rows: readonly BadRow[]): DataError {
  const listed = rows.slice(0, MAX_LISTED_BAD_ROWS).map((row) => `  ${formatBadRow(row)}`);
  const more = rows.length - listed.length;
  if (more > 0) listed.push(`  and ${more} more`);
  const noun = rows.length === 1 ? 'bad row' : 'bad rows';
  return new DataError(
    'DATA_INVALID_ROWS',
    `${file}: ${rows.length} ${noun}:\n${listed.join('\n')}\n` +
      'Fix these rows, or set skipBadRows to drop them (they are then counted and returned).',
    rows,
  );
}

/** Sorts `rows` and throws the one DATA_INVALID_ROWS error unless bad rows are to be skipped. */
export function settleBadRows(file: string, rows: BadRow[], skipBadRows: boolean | undefined): void {
  sortBadRows(rows);
  if (rows.length > 0 && !skipBadRows) throw invalidRowsError(file, rows);
}

export function noExamplesError(file: string, skippedRows: number): DataError {
  const why = skippedRows > 0 ? ` (all ${skippedRows} rows were bad and skipped)` : '';
  return new DataError('DATA_NO_EXAMPLES', `${file}: no examples${why}; a dataset cannot be empty.`);
}
