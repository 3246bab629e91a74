import { gunzipSync } from 'node:zlib';
import { DataError } from '../data-error.ts';
import { rawFileOf, readFileBytes, type RawFile } from '../raw-file.ts';

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
  let bytes = await readFileBytes(file);
  if (file.endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DataError('DATA_READ_FAILED', `${file}: not a valid gzip file (${(error as Error).message}).`);
    }
  }
  const raw = rawFileOf(file, bytes);
  return { file, lines: decodeEachLine(raw), badUtf8Lines: raw.badUtf8Lines };
}

/** Each physical line decoded on its own (a BOM at a line's start dropped, as each decode drops one), `\r` stripped. */
function decodeEachLine(raw: RawFile): string[] {
  if (raw.bytes.length === 0) return [];
  const decoder = new TextDecoder('utf-8');
  return raw.lineStarts.map((start, i) => {
    let end = i + 1 < raw.lineStarts.length ? raw.lineStarts[i + 1] : raw.bytes.length;
    if (raw.bytes[end - 1] === 0x0a) end -= 1;
    let decoded = decoder.decode(raw.bytes.subarray(start, end));
    if (i === 0 && decoded.startsWith('\ufeff')) decoded = decoded.slice(1);
    return decoded.endsWith('\r') ? decoded.slice(0, -1) : decoded;
  });
}
