import { IGNORE_INDEX } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { encodeTaggedSentences, type WordTokenizer } from './encode-tagged-sentences.ts';
import { labelMapFrom } from './label-map.ts';
import { readConll } from './read-conll.ts';
import { splitWordsWithOffsets } from './read-conll-words.ts';
import { tempFiles } from './test-files.ts';

const write = tempFiles();

describe('splitWordsWithOffsets', () => {
  it('splits words and punctuation and keeps offsets into the line', () => {
    const text = "I'm at  Empire State, @paulwalk #nyc!";
    const words = splitWordsWithOffsets(text);
    expect(words.map((w) => w.word)).toEqual(["I'm", 'at', 'Empire', 'State', ',', '@paulwalk', '#nyc', '!']);
    for (const w of words) expect(text.slice(w.start, w.end)).toBe(w.word);
    expect(words[2]).toEqual({ word: 'Empire', start: 8, end: 14 });
  });
});

describe('readConll without tags (prediction input)', () => {
  it('reads token-only lines and keeps tags that are there, -DOCSTART- ignored', async () => {
    const file = write('input.conll', '-DOCSTART- -X- O O\n\nParis\nis B-loc\n\nnice\n');
    const set = await readConll(file, { requireTags: false, labelMap: labelMapFrom({ O: 0, 'B-loc': 1 }) });
    expect(set.sentences.map((s) => s.words)).toEqual([['Paris', 'is'], ['nice']]);
    expect(set.sentences[0]!.tags).toEqual(['', 'B-loc']);
    expect(set.sentences[0]!.tagIds).toEqual([IGNORE_INDEX, 1]);
  });
});

/** Splits every word into pieces of 2 characters; word ids as a fast tokenizer gives them. */
const pairTokenizer: WordTokenizer = {
  encodeWords: (rows) => {
    const wordIds = rows.map((words) => [null, ...words.flatMap((word, w) => Array.from({ length: Math.ceil(word.length / 2) }, () => w)), null]);
    const inputIds = wordIds.map((ids) => ids.map((id) => (id === null ? 1 : 10 + id)));
    return { inputIds, attentionMask: inputIds.map((ids) => ids.map(() => 1)), tokenTypeIds: inputIds.map((ids) => ids.map(() => 0)), wordIds };
  },
};

describe('encodeTaggedSentences: label alignment', () => {
  const labelMap = labelMapFrom({ O: 0, 'B-loc': 1, 'I-loc': 2, 'B-x': 3 });
  const sentence = { line: 1, words: ['Paris', 'is', 'nice'], tags: ['B-loc', 'O', 'B-x'], tagIds: [1, 0, 3] };

  it('labels the first sub-token of each word and ignores the rest', () => {
    const batch = encodeTaggedSentences([sentence], pairTokenizer, { maxLength: 16, padId: 0 }).batch([0]);
    // [CLS] Pa ri s | is | ni ce [SEP]
    expect(Array.from(batch.labels!)).toEqual([IGNORE_INDEX, 1, IGNORE_INDEX, IGNORE_INDEX, 0, 3, IGNORE_INDEX, IGNORE_INDEX]);
  });

  it('with labelAllTokens labels every sub-token, B- becoming I- after the first (B-x has no I-x: kept)', () => {
    const batch = encodeTaggedSentences([sentence], pairTokenizer, { maxLength: 16, padId: 0, labelAllTokens: true, labelMap }).batch([0]);
    expect(Array.from(batch.labels!)).toEqual([IGNORE_INDEX, 1, 2, 2, 0, 3, 3, IGNORE_INDEX]);
  });
});
