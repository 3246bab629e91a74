import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { readExamples } from '../read-examples.ts';
import { tempFiles } from '../test-files.ts';
import { MISSING_GROUP, readGroupColumn } from './read-group-column.ts';

const write = tempFiles();

describe('readGroupColumn', () => {
  it('gives each example its group by line, bad rows skipped and empty values as their own group', async () => {
    const file = write('groups.tsv', 'sentence\tlabel\tdomain\ngood film\t1\tmovies\n\t0\tbooks\nfine read\t1\t\nloud album\t0\tmusic\n');
    const { examples } = await readExamples(file, { skipBadRows: true });
    expect(examples.map((example) => example.line)).toEqual([2, 4, 5]);
    expect(await readGroupColumn(file, 'domain', examples)).toEqual(['movies', MISSING_GROUP, 'music']);
  });

  it('reads JSONL values of any type as strings', async () => {
    const file = write('groups.jsonl', '{"text":"a b c","label":"x","year":2004}\n{"text":"d e f","label":"y"}\n{"text":"g h i","label":"x","year":null}\n');
    const { examples } = await readExamples(file);
    expect(await readGroupColumn(file, 'year', examples)).toEqual(['2004', MISSING_GROUP, MISSING_GROUP]);
  });

  it('names the columns there are when the group column is not one of them', async () => {
    const file = write('nogroup.csv', 'text,label\nhello there,1\n');
    const { examples } = await readExamples(file);
    const error = await readGroupColumn(file, 'domain', examples).catch((caught: unknown) => caught);
    expect(errorCode(error)).toBe('QUALITY_MISSING_COLUMN');
    expect((error as Error).message).toBe(`${file}: no group column "domain"; the file has [text, label]. Pass one of those as the group column.`);
  });
});
