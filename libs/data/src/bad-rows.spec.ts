import { describe, expect, it } from 'vitest';
import { DataError } from './data-error.ts';
import { labelMapFrom } from './label-map.ts';
import { readExamples, type ReadExamplesOptions } from './read-examples.ts';
import { tempFiles } from './test-files.ts';

const write = tempFiles();

/** The DataError a read throws (fails the test if it does not throw one). */
async function readError(file: string, options?: ReadExamplesOptions): Promise<DataError> {
  const error = await readExamples(file, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof DataError)) throw new Error(`expected a DataError, got ${String(error)}`);
  return error;
}

function rowsOf(error: DataError): string[] {
  return error.badRows.map((row) => `${row.file}:${row.line}: ${row.reason}`);
}

describe('each bad row is named file:line: reason', () => {
  it('unknown label against an existing label map', async () => {
    const file = write('train.tsv', 'sentence\tlabel\ngood\tpositive\nmeh\tneutral\n');
    const error = await readError(file, { labelMap: labelMapFrom({ negative: 0, positive: 1 }) });
    expect(error.code).toBe('DATA_INVALID_ROWS');
    expect(rowsOf(error)).toEqual([`${file}:3: label "neutral" is not one of [negative, positive]`]);
    expect(error.message).toContain(`\n  ${file}:3: label "neutral" is not one of [negative, positive]\n`);
  });

  it('missing column (a short TSV row)', async () => {
    const file = write('short.tsv', 'sentence\tlabel\nno label here\n');
    expect(rowsOf(await readError(file))).toEqual([`${file}:2: missing column "label"`]);
  });

  it('missing column (a JSONL object without the key)', async () => {
    const file = write('short.jsonl', '{"text": "a", "label": "x"}\n{"text": "b"}\n');
    expect(rowsOf(await readError(file))).toEqual([`${file}:2: missing column "label"`]);
  });

  it('empty text', async () => {
    const file = write('empty.csv', 'text,label\n"  ",a\nfine,a\n');
    expect(rowsOf(await readError(file))).toEqual([`${file}:2: empty text in column "text"`]);
  });

  it('empty label', async () => {
    const file = write('nolabel.csv', 'text,label\nfine,\n');
    expect(rowsOf(await readError(file))).toEqual([`${file}:2: empty label in column "label"`]);
  });

  it('invalid UTF-8, found per line on the raw bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('sentence\tlabel\nok\t1\nbad '), Buffer.from([0xc3, 0x28]), Buffer.from('\t0\nok too\t0\n')]);
    const file = write('latin.tsv', bytes);
    expect(rowsOf(await readError(file))).toEqual([`${file}:3: invalid UTF-8`]);
  });

  it('invalid UTF-8 inside a multi-line CSV record names the bad physical line', async () => {
    const bytes = Buffer.concat([Buffer.from('text,label\n"one\ntwo '), Buffer.from([0xff]), Buffer.from('",a\nok,a\n')]);
    const file = write('multi-bad.csv', bytes);
    expect(rowsOf(await readError(file))).toEqual([`${file}:3: invalid UTF-8`]);
  });

  it('a field too many (an unquoted tab inside TSV text)', async () => {
    const file = write('tabs.tsv', 'sentence\tlabel\na\tb\t1\n');
    expect(rowsOf(await readError(file))).toEqual([
      `${file}:2: row has 3 fields, the header has 2; a tab inside a field must be quoted`,
    ]);
  });

  it('invalid JSON, a non-object and a non-integer label in JSONL', async () => {
    const file = write('bad.jsonl', '{"text": "a", "label": 1}\n{"text": \n[1]\n{"text": "b", "label": 0.5}\n');
    const rows = rowsOf(await readError(file));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(new RegExp(`^${file}:2: invalid JSON \\(.+\\)$`));
    expect(rows.slice(1)).toEqual([
      `${file}:3: expected a JSON object, found an array`,
      `${file}:4: label in column "label" must be a string or an integer, found the number 0.5`,
    ]);
  });
});

describe('all bad rows are collected into one error', () => {
  it('lists 20 rows in line order, then "and N more"', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? `\t1` : `fine ${i}\t1`));
    const file = write('many.tsv', `sentence\tlabel\n${rows.join('\n')}\n`);
    const error = await readError(file);
    expect(error.badRows).toHaveLength(13);
    expect(error.badRows.map((row) => row.line)).toEqual(Array.from({ length: 13 }, (_, i) => 2 + 2 * i));
    expect(error.message).toContain(`${file}: 13 bad rows:`);
    expect(error.message).not.toContain('more');

    const all = write('all-bad.tsv', `sentence\tlabel\n${'\t1\n'.repeat(23)}`);
    const big = await readError(all);
    expect(big.message.split('\n').filter((line) => line.startsWith(`  ${all}:`))).toHaveLength(20);
    expect(big.message).toContain('\n  and 3 more\n');
  });
});

describe('skipBadRows', () => {
  it('drops bad rows, returns them counted, and keeps the good ones', async () => {
    const file = write('skip.tsv', 'sentence\tlabel\ngood\t1\n\t0\nalso good\t0\nshort\n');
    const set = await readExamples(file, { skipBadRows: true });
    expect(set.examples.map((e) => e.line)).toEqual([2, 4]);
    expect(set.badRows.map((row) => `${row.line}: ${row.reason}`)).toEqual([
      '3: empty text in column "sentence"',
      '5: missing column "label"',
    ]);
  });

  it('still fails when no example is left', async () => {
    const file = write('none-left.tsv', 'sentence\tlabel\n\t0\n');
    const error = await readError(file, { skipBadRows: true });
    expect(error.code).toBe('DATA_NO_EXAMPLES');
    expect(error.message).toBe(`${file}: no examples (all 1 rows were bad and skipped); a dataset cannot be empty.`);
  });
});

describe('whole-file errors', () => {
  it('a missing file names the file', async () => {
    const error = await readError('/nonexistent/dir/train.tsv');
    expect(error.code).toBe('DATA_FILE_NOT_FOUND');
    expect(error.message).toBe('/nonexistent/dir/train.tsv: file not found; check the path.');
  });

  it('a header without the configured column names it and lists the available ones', async () => {
    const file = write('cols.tsv', 'sentence\tlabel\nx\t1\n');
    const error = await readError(file, { labelColumn: 'sentiment' });
    expect(error.code).toBe('DATA_MISSING_COLUMN');
    expect(error.message).toBe(
      `${file}: no label column "sentiment"; the file has [sentence, label]. Pass the name of the label column.`,
    );
    const noText = await readError(write('notext.csv', 'body,label\nx,1\n'));
    expect(noText.message).toContain('no text column "text" or "sentence" or "sentence1"; the file has [body, label]');
  });

  it('an unclosed CSV quote names the line where the record starts', async () => {
    const file = write('unclosed.csv', 'text,label\nok,a\n"never closed,a\nmore,a\n');
    const error = await readError(file);
    expect(error.code).toBe('DATA_PARSE_FAILED');
    expect(error.message).toMatch(new RegExp(`^${file}:3: cannot parse this record`));
  });

  it('an unknown extension asks for the format', async () => {
    const error = await readError(write('data.txt', 'text,label\n'));
    expect(error.code).toBe('DATA_UNKNOWN_FORMAT');
  });
});
