import { describe, expect, it } from 'vitest';
import { readExamples } from './read-examples.ts';
import { labelMapFrom } from './label-map.ts';
import { fixture, tempFiles } from './test-files.ts';

const write = tempFiles();

describe('readExamples: SST-2 TSV sample', () => {
  it('reads every row after the header with its physical line and label', async () => {
    const set = await readExamples(fixture('sst2-train-200.tsv'));
    expect(set.examples).toHaveLength(199);
    expect(set.examples[0]).toEqual({
      line: 2,
      text: 'a stirring , funny and finally transporting re-imagining of beauty and the beast and 1930s horror films',
      label: '1',
      labelId: 1,
    });
    expect(set.examples[1]).toMatchObject({ line: 3, label: '0', labelId: 0 });
    expect(set.examples.at(-1)?.line).toBe(200);
    expect(set.labelMap?.label2id).toEqual({ '0': 0, '1': 1 });
    expect(set.badRows).toEqual([]);
  });
});

describe('readExamples: TSV quotes', () => {
  it('keeps " as text in TSV by default (GLUE files)', async () => {
    const file = write('quotes.tsv', 'sentence\tlabel\n"the film" is "fun\t1\nhe said "no\t0\n');
    const set = await readExamples(file);
    expect(set.examples.map((e) => e.text)).toEqual(['"the film" is "fun', 'he said "no']);
    expect(set.examples.map((e) => e.line)).toEqual([2, 3]);
  });

  it('honours a configured quote character in TSV', async () => {
    const file = write('quoted.tsv', 'sentence\tlabel\n"a\tb"\t1\n');
    const set = await readExamples(file, { quote: '"' });
    expect(set.examples[0]).toMatchObject({ text: 'a\tb', label: '1' });
  });
});

describe('readExamples: CSV', () => {
  it('reads quoted AG News fields with commas as a text pair with integer labels', async () => {
    const set = await readExamples(fixture('agnews-20.csv'), { textColumn: 'title', textPairColumn: 'description' });
    expect(set.examples).toHaveLength(20);
    expect(set.examples[1]).toMatchObject({
      line: 3,
      text: 'The Race is On: Second Private Team Sets Launch Date for Human Spaceflight (SPACE.com)',
      label: '4',
    });
    expect(set.examples[1].textPair).toMatch(/^SPACE\.com - TORONTO, Canada -- A second\\team/);
    expect(Object.keys(set.labelMap?.label2id ?? {})).toEqual(['3', '4']) // the sample's first 20 rows are Business and Sci/Tech;
  });

  it('gives a multi-line record the line it starts on and keeps counting lines after it', async () => {
    const file = write('multi.csv', 'text,label\n"first\nsecond, still first",pos\n\n"she said ""hi""",neg\r\n');
    const set = await readExamples(file);
    expect(set.examples).toEqual([
      { line: 2, text: 'first\nsecond, still first', label: 'pos', labelId: 1 },
      { line: 5, text: 'she said "hi"', label: 'neg', labelId: 0 },
    ]);
  });

  it('reads a file with a byte order mark and takes the format when given', async () => {
    const file = write('bom.data', '\ufefftext,label\nhello,a\n');
    const set = await readExamples(file, { format: 'csv' });
    expect(set.examples).toEqual([{ line: 2, text: 'hello', label: 'a', labelId: 0 }]);
  });
});

describe('readExamples: JSONL', () => {
  it('keeps integer labels in their string form and reads text pairs', async () => {
    const lines = [
      '{"sentence1": "a cat", "sentence2": "an animal", "label": 1}',
      '',
      '{"sentence1": "a car", "sentence2": "a fruit", "label": 0}',
    ];
    const file = write('pairs.jsonl', lines.join('\n') + '\n');
    const set = await readExamples(file, { textPairColumn: 'sentence2' });
    expect(set.examples).toEqual([
      { line: 1, text: 'a cat', textPair: 'an animal', label: '1', labelId: 1 },
      { line: 3, text: 'a car', textPair: 'a fruit', label: '0', labelId: 0 },
    ]);
  });

  it('reads .json as JSON Lines, unlabelled when labelColumn is null', async () => {
    const file = write('plain.json', '{"text": "only text"}\n');
    const set = await readExamples(file, { labelColumn: null });
    expect(set.examples).toEqual([{ line: 1, text: 'only text' }]);
    expect(set.labelMap).toBeUndefined();
  });
});

describe('readExamples: an existing label map', () => {
  it('resolves labels with the given ids instead of building a map', async () => {
    const file = write('named.tsv', 'sentence\tlabel\ngood\tpositive\nbad\tnegative\n');
    const labelMap = labelMapFrom({ positive: 0, negative: 1 });
    const set = await readExamples(file, { labelMap });
    expect(set.examples.map((e) => e.labelId)).toEqual([0, 1]);
    expect(set.labelMap).toBe(labelMap);
  });
});
