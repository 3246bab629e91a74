import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { fastChecks, inspectData } from './inspect-data.ts';
import { countWordTokens, qualityFixture, readQualityFixtures } from './quality-fixtures.ts';
import { DEFAULT_NEAR_DUPLICATES } from './near-duplicates.ts';

const splits = await readQualityFixtures();
const options = { maxSeqLength: 11, countTokens: countWordTokens };
const report = inspectData(splits, options);
const [train, validation, test] = report.splits;

/** Exact Jaccard of character 5-grams of normalised texts, by plain string sets (an oracle independent of the hashing). */
function charFiveGramJaccard(a: string, b: string): number {
  const grams = (text: string): Set<string> => new Set([...Array(text.length - 4).keys()].map((i) => text.slice(i, i + 5)));
  const setA = grams(a);
  const setB = grams(b);
  const shared = [...setA].filter((gram) => setB.has(gram)).length;
  return shared / (setA.size + setB.size - shared);
}

describe('inspectData: the train fixture', () => {
  it('reports the splits in order with their rows and skipped bad rows', () => {
    expect(report.splits.map((split) => [split.name, split.file, split.rows, split.badRows])).toEqual([
      ['train', qualityFixture('train.tsv'), 13, 2],
      ['validation', qualityFixture('validation.tsv'), 5, 0],
      ['test', qualityFixture('test.tsv'), 2, 0],
    ]);
  });

  it('counts labels largest first with largest/smallest as the imbalance', () => {
    expect(train!.labels).toEqual({
      counts: [
        { label: '1', count: 8, share: 8 / 13 },
        { label: '0', count: 5, share: 5 / 13 },
      ],
      imbalanceRatio: 8 / 5,
    });
  });

  it('finds the empty, very short and truncated texts with nearest-rank token percentiles', () => {
    expect(train!.lengths).toEqual({
      empty: { count: 1, lines: [10] },
      veryShort: { count: 2, lines: [6, 7] },
      // Token counts (words + 2): 3 4 7 9 9 9 9 9 11 11 12 12 30.
      tokens: {
        percentiles: { p50: 9, p90: 12, p95: 30, p99: 30, max: 30 },
        truncated: { count: 3, share: 3 / 13, lines: [8, 9, 11] },
      },
    });
  });

  it('groups exact duplicates after normalising case and whitespace, and flags the conflicting labels', () => {
    expect(train!.exactDuplicates).toEqual({
      groups: [
        { text: 'the film is a delight from start to finish', lines: [2, 4] },
        { text: 'a dull and lifeless exercise in tedium', lines: [3, 5] },
      ],
      redundantRows: 2,
    });
    expect(train!.conflicts).toEqual([{ text: 'a dull and lifeless exercise in tedium', lines: [3, 5], labels: ['0', '1'] }]);
  });

  it('finds the one near-duplicate pair, with its exact Jaccard', () => {
    const jaccard = charFiveGramJaccard(
      'an utterly charming and warm hearted comedy about family life',
      'an utterly charming and warm hearted comedy about family lives',
    );
    expect(jaccard).toBeGreaterThanOrEqual(DEFAULT_NEAR_DUPLICATES.threshold);
    expect(train!.nearDuplicates?.pairs).toEqual([{ lines: [8, 9], jaccard }]);
    expect(train!.nearDuplicates?.rowsInvolved).toBe(2);
  });

  it('finds each kind of encoding problem on its line', () => {
    expect(train!.encoding).toEqual({
      invalidUtf8: { count: 1, lines: [16] },
      replacementCharacter: { count: 1, lines: [14] },
      controlCharacters: { count: 1, lines: [15] },
      mojibake: { count: 2, lines: [12, 13] },
      htmlEntities: { count: 0, lines: [] },
    });
  });

  it('has no leakage entry for train itself', () => {
    expect(train!.leakage).toBeUndefined();
  });
});

describe('inspectData: validation and test against train', () => {
  it('lists the evaluation rows whose text is in train, with the train lines and the label disagreements', () => {
    expect(validation!.leakage).toEqual({
      count: 3,
      share: 3 / 5,
      rows: [
        { line: 2, trainLines: [2, 4] },
        { line: 3, trainLines: [3, 5] },
        { line: 5, trainLines: [8] },
      ],
      labelDiffers: 1,
    });
    expect(test!.leakage).toEqual({ count: 1, share: 1 / 2, rows: [{ line: 2, trainLines: [3, 5] }], labelDiffers: 0 });
  });

  it('reports no labels, and no conflicts, for an unlabelled split', () => {
    expect(test!.labels).toBeUndefined();
    expect(test!.conflicts).toEqual([]);
    expect(validation!.conflicts).toEqual([]);
    expect(validation!.exactDuplicates).toEqual({ groups: [], redundantRows: 0 });
  });

  it('leaves leakage out when no train split is given', () => {
    const alone = inspectData({ validation: splits.validation }, options);
    expect(alone.splits.map((split) => split.name)).toEqual(['validation']);
    expect(alone.splits[0]!.leakage).toBeUndefined();
  });
});

describe('inspectData: settings and the report as JSON', () => {
  it('states its settings, thresholds included', () => {
    expect(report.settings).toEqual({ minWords: 3, maxSeqLength: 11, nearDuplicates: DEFAULT_NEAR_DUPLICATES });
  });

  it('survives a JSON round trip unchanged', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('skips token lengths without a token counter, and honours minWords', () => {
    const plain = inspectData({ train: splits.train }, { minWords: 8 });
    expect(plain.settings).toEqual({ minWords: 8, nearDuplicates: DEFAULT_NEAR_DUPLICATES });
    expect(plain.splits[0]!.lengths.tokens).toBeUndefined();
    expect(plain.splits[0]!.lengths.veryShort.lines).toEqual([3, 5, 6, 7, 12, 13, 14, 15]);
  });

  it('rejects bad settings and no splits with stable codes', () => {
    expect(() => inspectData({})).toThrow(expect.objectContaining({ code: 'QUALITY_NO_SPLITS' }));
    expect(() => inspectData(splits, { minWords: 0 })).toThrow('minWords must be a positive integer, got 0.');
    const bad = (): unknown => inspectData(splits, { nearDuplicates: { threshold: 1.5 } });
    expect(bad).toThrow('near-duplicate threshold must be in (0, 1], got 1.5.');
    try {
      bad();
    } catch (error) {
      expect(errorCode(error)).toBe('QUALITY_BAD_ARGUMENT');
    }
  });
});

describe('fastChecks', () => {
  it('is the full report without near duplicates', () => {
    const fast = fastChecks(splits, options);
    expect(fast.settings).toEqual({ minWords: 3, maxSeqLength: 11 });
    const withoutNear = report.splits.map(({ nearDuplicates: _near, ...rest }) => rest);
    expect(fast.splits).toEqual(withoutNear);
  });
});
