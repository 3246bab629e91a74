import { describe, expect, it } from 'vitest';
import { encodingProblems, hasMojibake } from './encoding-problems.ts';

describe('hasMojibake', () => {
  it('finds UTF-8 read as Latin-1 or Windows-1252', () => {
    for (const text of ['cafÃ©', 'itâ€™s', 'â€œquotedâ€\u009d', 'Â£5', 'naÃ¯ve', 'Ã‰cole']) expect(hasMojibake(text)).toBe(true);
  });

  it('leaves correctly decoded text alone', () => {
    for (const text of ['café', 'it’s', '“quoted”', '£5', 'naïve', 'École', 'São Paulo', 'Ãngel Ã.', 'â la carte']) {
      expect(hasMojibake(text)).toBe(false);
    }
  });
});

describe('encodingProblems', () => {
  it('reads invalid UTF-8 from the bad rows, finds control characters and HTML entities, and checks text pairs too', () => {
    const report = encodingProblems(
      [
        { line: 2, text: 'fine', textPair: 'a \u0001 b' },
        { line: 3, text: 'tab\tand\r\nnewline are fine' },
        { line: 4, text: 'c1 \u0085 control' },
        { line: 7, text: 'fish &amp; chips' },
        { line: 8, text: 'Ansari X Prize, a #36;10 million prize', textPair: 'it #39;s here' },
        { line: 9, text: 'no entity: b & w, room #3, issue #36 ; AT&T;' },
        { line: 10, text: 'it&#39;s &#x27;quoted&#x27;' },
      ],
      [
        { file: 'f.tsv', line: 5, reason: 'invalid UTF-8' },
        { file: 'f.tsv', line: 6, reason: 'empty text in column "sentence"' },
      ],
    );
    expect(report).toEqual({
      invalidUtf8: { count: 1, lines: [5] },
      replacementCharacter: { count: 0, lines: [] },
      controlCharacters: { count: 2, lines: [2, 4] },
      mojibake: { count: 0, lines: [] },
      htmlEntities: { count: 3, lines: [7, 8, 10] },
    });
  });
});
