import type { BadRow } from '../data-error.ts';
import type { Example } from '../read-examples.ts';
import type { EncodingReport, LineList } from './quality-report.ts';

// C0 controls other than tab, LF and CR; DEL; C1 controls (U+0080-U+009F, which real text never
// holds and which Latin-1-decoded UTF-8 often does).
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

// UTF-8 read as Latin-1 or Windows-1252: a 2-byte sequence for Latin-1 letters and signs (C2/C3 xx)
// shows as "Â"/"Ã" and a second character from the Latin-1 upper half or 1252's 0x80-0x9F glyphs
// ("Ã©" = é, "Â£" = £); the 3-byte punctuation block E2 80 xx shows as "â€" + one more ("â€™" = ’,
// "â€œ" = “).
const WINDOWS_1252_HIGH = '\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013\u2014\u2018-\u201A\u201C-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u20AC\u2122';
const MOJIBAKE = new RegExp(`[ÂÃ][\\u0080-\\u00BF${WINDOWS_1252_HIGH}]|â€`);

// A named or numeric entity ("&amp;", "&#39;", "&#x27;"), or a numeric one whose "&" was stripped
// after a space ("#36;10 million" in AG News).
const HTML_ENTITY = /&(?:[a-z][a-z0-9]{1,7}|#\d{1,7}|#x[0-9a-f]{1,6});|(?:^|[\s(])#\d{2,5};/i;

/** Rows the reader rejected as invalid UTF-8, and rows that decoded but carry the marks of a wrong decode or escape. */
export function encodingProblems(examples: readonly Example[], badRows: readonly BadRow[]): EncodingReport {
  const invalid = badRows.filter((row) => row.reason === 'invalid UTF-8').map((row) => row.line);
  return {
    invalidUtf8: lineList(invalid),
    replacementCharacter: matching(examples, (text) => text.includes('\uFFFD')),
    controlCharacters: matching(examples, (text) => CONTROL_CHARACTER.test(text)),
    mojibake: matching(examples, (text) => MOJIBAKE.test(text)),
    htmlEntities: matching(examples, (text) => HTML_ENTITY.test(text)),
  };
}

/** Whether `text` looks like UTF-8 decoded as Latin-1 / Windows-1252. */
export function hasMojibake(text: string): boolean {
  return MOJIBAKE.test(text);
}

function matching(examples: readonly Example[], test: (text: string) => boolean): LineList {
  const lines = examples
    .filter((example) => test(example.text) || (example.textPair !== undefined && test(example.textPair)))
    .map((example) => example.line);
  return lineList(lines);
}

function lineList(lines: number[]): LineList {
  return { count: lines.length, lines: lines.sort((a, b) => a - b) };
}
