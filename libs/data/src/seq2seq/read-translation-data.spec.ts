import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { tempFiles } from '../test-files.ts';
import { readParallelFiles } from './read-parallel-files.ts';
import { readTranslationJsonl } from './read-translation-jsonl.ts';

const write = tempFiles();

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the read to fail');
}

describe('readParallelFiles', () => {
  it('pairs line i of the source with line i of the target (CRLF and a BOM stripped)', async () => {
    const en = write('a.en', '\ufeffTwo dogs run.\r\nA man sleeps.\n');
    const de = write('a.de', 'Zwei Hunde rennen.\r\nEin Mann schläft.\n');
    const set = await readParallelFiles(en, de);
    expect(set.pairs).toEqual([
      { line: 1, source: 'Two dogs run.', target: 'Zwei Hunde rennen.' },
      { line: 2, source: 'A man sleeps.', target: 'Ein Mann schläft.' },
    ]);
    expect([set.sourceFile, set.targetFile]).toEqual([en, de]);
  });

  it('reads gzipped files (Multi30k ships train.en.gz)', async () => {
    const en = write('b.en.gz', gzipSync(Buffer.from('A cat.\nA dog.\n')));
    const de = write('b.de.gz', gzipSync(Buffer.from('Eine Katze.\nEin Hund.\n')));
    const set = await readParallelFiles(en, de);
    expect(set.pairs.map((pair) => pair.target)).toEqual(['Eine Katze.', 'Ein Hund.']);
  });

  it('misaligned files fail naming both files and both line counts', async () => {
    const en = write('c.en', 'one\ntwo\nthree\n');
    const de = write('c.de', 'eins\nzwei\n');
    const error = await failure(readParallelFiles(en, de));
    expect(errorCode(error)).toBe('DATA_MISALIGNED_FILES');
    expect(error.message).toContain(`${en} has 3 lines but ${de} has 2`);
  });

  it('an empty line on one side is a bad row naming that file and line; skipBadRows drops the pair', async () => {
    const en = write('d.en', 'one\n\nthree\nfour\n');
    const de = write('d.de', 'eins\nzwei\ndrei\n  \n');
    const error = await failure(readParallelFiles(en, de));
    expect(errorCode(error)).toBe('DATA_INVALID_ROWS');
    expect(error.message).toContain(`${en}:2: empty source line`);
    expect(error.message).toContain(`${de}:4: empty target line`);
    const set = await readParallelFiles(en, de, { skipBadRows: true });
    expect(set.pairs.map((pair) => pair.line)).toEqual([1, 3]);
    expect(set.badRows.map((row) => [row.file, row.line])).toEqual([[en, 2], [de, 4]]);
  });

  it('a missing file is DATA_FILE_NOT_FOUND naming it', async () => {
    const en = write('e.en', 'one\n');
    const error = await failure(readParallelFiles(en, '/nonexistent/e.de'));
    expect(errorCode(error)).toBe('DATA_FILE_NOT_FOUND');
    expect(error.message).toContain('/nonexistent/e.de');
  });
});

describe('readTranslationJsonl (run_translation format)', () => {
  it('takes the source and target texts by language key', async () => {
    const file = write(
      'a.jsonl',
      [
        JSON.stringify({ translation: { en: 'A dog.', de: 'Ein Hund.', fr: 'Un chien.' } }),
        '',
        JSON.stringify({ translation: { de: 'Eine Katze.', en: 'A cat.' } }),
      ].join('\n'),
    );
    const set = await readTranslationJsonl(file, { sourceLang: 'en', targetLang: 'de' });
    expect(set.pairs).toEqual([
      { line: 1, source: 'A dog.', target: 'Ein Hund.' },
      { line: 3, source: 'A cat.', target: 'Eine Katze.' },
    ]);
    const reversed = await readTranslationJsonl(file, { sourceLang: 'de', targetLang: 'en' });
    expect(reversed.pairs[0]).toEqual({ line: 1, source: 'Ein Hund.', target: 'A dog.' });
  });

  it('a row missing the language key fails naming the file, line and key', async () => {
    const file = write(
      'b.jsonl',
      [
        JSON.stringify({ translation: { en: 'A dog.', de: 'Ein Hund.' } }),
        JSON.stringify({ translation: { en: 'A cat.', fr: 'Un chat.' } }),
        '{not json',
        JSON.stringify({ text: 'no translation' }),
        JSON.stringify({ translation: { en: '', de: 'leer' } }),
      ].join('\n'),
    );
    const error = await failure(readTranslationJsonl(file, { sourceLang: 'en', targetLang: 'de' }));
    expect(errorCode(error)).toBe('DATA_INVALID_ROWS');
    expect(error.message).toContain(`${file}:2: "translation" has no "de" key (it has "en", "fr")`);
    expect(error.message).toContain(`${file}:3: not valid JSON`);
    expect(error.message).toContain(`${file}:4: no "translation" object`);
    expect(error.message).toContain(`${file}:5: "translation"."en" is empty`);
    const set = await readTranslationJsonl(file, { sourceLang: 'en', targetLang: 'de', skipBadRows: true });
    expect(set.pairs.map((pair) => pair.line)).toEqual([1]);
    expect(set.badRows).toHaveLength(4);
  });
});
