import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { errorCode } from '@tunefleet/core';
import { DataError } from './data-error.ts';

/** A file's bytes with the byte offset where each physical line starts, and its bad-UTF-8 lines. */
export interface RawFile {
  readonly file: string;
  readonly bytes: Uint8Array;
  /** lineStarts[i] is the byte offset of line i + 1. */
  readonly lineStarts: readonly number[];
  /** 1-based lines whose bytes are not valid UTF-8. */
  readonly badUtf8Lines: ReadonlySet<number>;
}

export type DataFormat = 'csv' | 'tsv' | 'jsonl';

const FORMAT_BY_EXTENSION: Readonly<Record<string, DataFormat>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.jsonl': 'jsonl',
  '.json': 'jsonl', // Hugging Face `datasets` reads .json as JSON Lines too
};

/** The format from the extension (.csv, .tsv, .jsonl, .json) unless one is given. */
export function resolveFormat(file: string, given?: DataFormat): DataFormat {
  if (given) return given;
  const format = FORMAT_BY_EXTENSION[extname(file).toLowerCase()];
  if (!format) {
    throw new DataError(
      'DATA_UNKNOWN_FORMAT',
      `${file}: cannot tell the format from the extension "${extname(file)}"; ` +
        'use .csv, .tsv, .jsonl or .json, or pass the format (csv, tsv, jsonl).',
    );
  }
  return format;
}

export async function readRawFile(file: string): Promise<RawFile> {
  return rawFileOf(file, await readFileBytes(file));
}

/** `file`'s bytes; DATA_FILE_NOT_FOUND when it does not exist, DATA_READ_FAILED when it cannot be read. */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') {
      throw new DataError('DATA_FILE_NOT_FOUND', `${file}: file not found; check the path.`);
    }
    throw new DataError('DATA_READ_FAILED', `${file}: cannot read (${code ?? String(error)}).`);
  }
}

/** The RawFile of `bytes` read from `file` (after any decompression): line starts and bad-UTF-8 lines. */
export function rawFileOf(file: string, bytes: Uint8Array): RawFile {
  const lineStarts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a && i + 1 < bytes.length) lineStarts.push(i + 1);
  }
  return { file, bytes, lineStarts, badUtf8Lines: findBadUtf8Lines(bytes, lineStarts) };
}

function findBadUtf8Lines(bytes: Uint8Array, lineStarts: readonly number[]): Set<number> {
  const bad = new Set<number>();
  // Fast path: the whole file decodes; per-line checks are only needed when it does not.
  if (isValidUtf8(bytes)) return bad;
  for (let i = 0; i < lineStarts.length; i++) {
    const end = i + 1 < lineStarts.length ? lineStarts[i + 1] : bytes.length;
    if (!isValidUtf8(bytes.subarray(lineStarts[i], end))) bad.add(i + 1);
  }
  return bad;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The 1-based line holding byte `offset` (binary search over line starts). */
export function lineAt(raw: RawFile, offset: number): number {
  let lo = 0;
  let hi = raw.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (raw.lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The first line in [firstLine, lastLine] with invalid UTF-8, or undefined. */
export function firstBadUtf8Line(raw: RawFile, firstLine: number, lastLine: number): number | undefined {
  if (raw.badUtf8Lines.size === 0) return undefined;
  for (let line = firstLine; line <= lastLine; line++) {
    if (raw.badUtf8Lines.has(line)) return line;
  }
  return undefined;
}

/** Physical lines as strings (BOM and `\r` stripped), decoded leniently; pair with `badUtf8Lines`. */
export function decodeLines(raw: RawFile): string[] {
  let text = new TextDecoder('utf-8').decode(raw.bytes);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text === '') return [];
  return text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
