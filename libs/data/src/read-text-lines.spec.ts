import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.ts';
import { readTextLines } from './read-text-lines.ts';
import { tempFiles } from './test-files.ts';

const write = tempFiles();

describe('readTextLines', () => {
  it('skips blank lines but keeps physical line numbers, and strips \\r', async () => {
    const set = await readTextLines(write('predict.txt', 'first\r\n\n   \nsecond "quoted", too\n'));
    expect(set.examples).toEqual([
      { line: 1, text: 'first' },
      { line: 4, text: 'second "quoted", too' },
    ]);
  });

  it('reports invalid UTF-8 lines, or skips them when asked', async () => {
    const file = write('bad.txt', Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x80]), Buffer.from('\nfine')]));
    const error = await readTextLines(file).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain(`\n  ${file}:2: invalid UTF-8\n`);
    const set = await readTextLines(file, { skipBadRows: true });
    expect(set.examples.map((e) => e.line)).toEqual([1, 3]);
    expect(set.badRows).toHaveLength(1);
  });
});
