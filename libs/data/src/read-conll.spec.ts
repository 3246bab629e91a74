import { describe, expect, it } from 'vitest';
import { alignWordLabels } from './align-word-labels.ts';
import { DataError } from './data-error.ts';
import { labelMapFrom } from './label-map.ts';
import { readConll } from './read-conll.ts';
import { fixture, tempFiles } from './test-files.ts';

const write = tempFiles();

describe('readConll: WNUT-17 sample', () => {
  it('splits sentences at blank (tab-only) lines and builds a sorted tag map', async () => {
    const set = await readConll(fixture('wnut17-train-5.conll'));
    expect(set.sentences).toHaveLength(5);
    expect(set.sentences.map((s) => s.line)).toEqual([1, 29, 45, 58, 68]);
    const first = set.sentences[0];
    expect(first.words.slice(0, 3)).toEqual(['@paulwalk', 'It', "'s"]);
    expect(first.words).toHaveLength(27);
    expect(first.words.slice(14, 17)).toEqual(['Empire', 'State', 'Building']);
    expect(first.tags.slice(14, 17)).toEqual(['B-location', 'I-location', 'I-location']);
    expect(set.labelMap.label2id).toEqual({
      'B-corporation': 0, 'B-group': 1, 'B-location': 2, 'B-person': 3, 'I-location': 4, O: 5,
    });
    expect(first.tagIds.slice(13, 17)).toEqual([5, 2, 4, 4]);
    expect(set.badRows).toEqual([]);
  });
});

describe('readConll: bad lines', () => {
  it('names a line without a tag and a tag the map does not know', async () => {
    const file = write('bad.conll', 'Paris\tB-loc\nis\n\nnice\tB-misc\n\nok\tO\n');
    const map = labelMapFrom({ O: 0, 'B-loc': 1 });
    const error = await readConll(file, { labelMap: map }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).badRows.map((row) => `${row.file}:${row.line}: ${row.reason}`)).toEqual([
      `${file}:2: expected "token<TAB>tag", found no tag after "is"`,
      `${file}:4: tag "B-misc" is not one of [O, B-loc]`,
    ]);
  });

  it('drops a whole sentence with a bad line under skipBadRows and reads space-separated columns', async () => {
    const bytes = Buffer.concat([Buffer.from('-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\n\nbad'), Buffer.from([0xfe]), Buffer.from(' O\nword O\n')]);
    const set = await readConll(write('skip.conll', bytes), { skipBadRows: true });
    expect(set.sentences.map((s) => [s.line, s.words, s.tags])).toEqual([[3, ['EU'], ['B-ORG']]]);
    expect(set.badRows.map((row) => `${row.line}: ${row.reason}`)).toEqual(['5: invalid UTF-8']);
  });
});

describe('alignWordLabels', () => {
  it('labels the first sub-token of each word and gives -100 to the rest and to special tokens', () => {
    // [CLS] new york ##er rocks [SEP]: words 0 "new", 1 "yorker" (2 pieces), 2 "rocks"
    const wordIds = [null, 0, 1, 1, 2, null];
    expect(alignWordLabels(wordIds, [3, 4, 0])).toEqual([-100, 3, 4, -100, 0, -100]);
  });

  it('treats a word repeated after a special token (second segment) as a new first sub-token', () => {
    expect(alignWordLabels([null, 0, null, 0, 0, null], [7])).toEqual([-100, 7, -100, 7, -100, -100]);
  });

  it('rejects a word id without a label', () => {
    expect(() => alignWordLabels([null, 0, 1], [5])).toThrow('alignWordLabels: wordIds[2] = 1 but there are 1 word labels.');
  });
});
