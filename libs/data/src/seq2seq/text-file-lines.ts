import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { errorCode } from '@tunefleet/core';
import { DataError } from '../data-error.ts';

/** A text file's physical lines (BOM and `\r` stripped) and the 1-based lines that are not valid UTF-8. */
export interface TextFileLines {
  readonly file: string;
  readonly lines: readonly string[];
  readonly badUtf8Lines: ReadonlySet<number>;
}

/**
 * Reads `file` as lines; a `.gz` file (by name or by its gzip magic bytes, as Multi30k's
 * `train.en.gz`) is gunzipped first. A final newline does not start another line.
 */
export async function readTextFileLines(file: string): Promise<TextFileLines> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') throw new DataError('DATA_FILE_NOT_FOUND', `${file}: file not found; check the path.`);
    throw new DataError('DATA_READ_FAILED', `${file}: cannot read (${code ?? String(error)}).`);
  }
  if (file.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DataError('DATA_READ_FAILED', `${file}: not a valid gzip file (${(error as Error).message}).`);
    }
  }
  const lines = splitLines(bytes);
  const badUtf8Lines = new Set<number>();
  if (!isValidUtf8(bytes)) {
    lines.bytes.forEach((lineBytes, i) => {
      if (!isValidUtf8(lineBytes)) badUtf8Lines.add(i + 1);
    });
  }
  return { file, lines: lines.text, badUtf8Lines };
}

function splitLines(bytes: Uint8Array): { bytes: Uint8Array[]; text: string[] } {
  const decoder = new TextDecoder('utf-8');
  const lineBytes: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lineBytes.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lineBytes.push(bytes.subarray(start));
  const text = lineBytes.map((line, i) => {
    let decoded = decoder.decode(line);
    if (i === 0 && decoded.startsWith('\ufeff')) decoded = decoded.slice(1);
    return decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded;
  });
  return { bytes: lineBytes, text };
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
