import { describe, expect, it } from 'vitest';
import { fastChecks, inspectData } from './inspect-data.ts';
import { countWordTokens, qualityFixture, readQualityFixtures } from './quality-fixtures.ts';
import { qualityWarnings, summarizeReport } from './summarize-report.ts';

const splits = await readQualityFixtures();
const options = { maxSeqLength: 11, countTokens: countWordTokens };

describe('summarizeReport', () => {
  it('prints one header per split and one line per check, with the thresholds', () => {
    expect(summarizeReport(inspectData(splits, options))).toEqual([
      `train (${qualityFixture('train.tsv')}): 13 rows, 2 bad rows skipped`,
      '  labels: 1 8 (61.5%), 0 5 (38.5%); imbalance 1.60 (largest/smallest)',
      '  lengths: 1 empty, 2 very short (< 3 words) (lines 6, 7); tokens p50 9, p90 12, p95 30, p99 30, max 30; ' +
        '3 longer than max_seq_length 11 (23.1%)',
      '  exact duplicates (case and whitespace normalised): 2 groups, 2 redundant rows; 1 text with different labels (lines 3:0/5:1)',
      '  near duplicates (MinHash, Jaccard >= 0.8 over char 5-grams): 1 pair, 2 rows',
      '  encoding: 1 invalid UTF-8, 1 with U+FFFD, 1 with control characters, 2 with mojibake, 0 with HTML entities',
      `validation (${qualityFixture('validation.tsv')}): 5 rows`,
      '  labels: 0 3 (60.0%), 1 2 (40.0%); imbalance 1.50 (largest/smallest)',
      '  lengths: 0 empty, 0 very short (< 3 words); tokens p50 9, p90 12, p95 12, p99 12, max 12; 1 longer than max_seq_length 11 (20.0%)',
      '  exact duplicates (case and whitespace normalised): 0 groups, 0 redundant rows; 0 texts with different labels',
      '  near duplicates (MinHash, Jaccard >= 0.8 over char 5-grams): 0 pairs, 0 rows',
      '  leakage: 3 validation rows also appear in train (60.0%), 1 of them with another label (lines 2, 3, 5)',
      '  encoding: 0 invalid UTF-8, 0 with U+FFFD, 0 with control characters, 0 with mojibake, 0 with HTML entities',
      `test (${qualityFixture('test.tsv')}): 2 rows`,
      '  lengths: 0 empty, 0 very short (< 3 words); tokens p50 7, p90 9, p95 9, p99 9, max 9; 0 longer than max_seq_length 11 (0.0%)',
      '  exact duplicates (case and whitespace normalised): 0 groups, 0 redundant rows; 0 texts with different labels',
      '  near duplicates (MinHash, Jaccard >= 0.8 over char 5-grams): 0 pairs, 0 rows',
      '  leakage: 1 test row also appears in train (50.0%) (line 2)',
      '  encoding: 0 invalid UTF-8, 0 with U+FFFD, 0 with control characters, 0 with mojibake, 0 with HTML entities',
    ]);
  });
});

describe('qualityWarnings', () => {
  it('prints one line per problem of the fast checks', () => {
    expect(qualityWarnings(fastChecks(splits, options))).toEqual([
      'train: 1 text appears with different labels (lines 3:0/5:1)',
      'train: 2 rows repeat an earlier row (2 groups: lines 2=4, 3=5)',
      'train: 3 rows (23.1%) longer than max_seq_length 11 will be truncated (lines 8, 9, 11)',
      'train: 1 empty text skipped (line 10)',
      'train: 1 row with invalid UTF-8 (skipped) (line 16)',
      'train: 1 row with U+FFFD replacement characters (line 14)',
      'train: 1 row with control characters (line 15)',
      'train: 2 rows with mojibake (UTF-8 read as Latin-1) (lines 12, 13)',
      '3 validation rows also appear in train (60.0%), 1 of them with another label (lines 2, 3, 5)',
      'validation: 1 row (20.0%) longer than max_seq_length 11 will be truncated (line 5)',
      '1 test row also appears in train (50.0%) (line 2)',
    ]);
  });

  it('is silent on clean data', () => {
    const clean = { file: 'clean.tsv', badRows: [], examples: [{ line: 2, text: 'a clean and simple text', label: '1' }] };
    expect(qualityWarnings(fastChecks({ train: clean, validation: { ...clean, examples: [{ line: 2, text: 'another clean text here', label: '1' }] } }))).toEqual([]);
  });
});
