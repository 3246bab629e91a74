// Test helper: the committed quality fixtures (testdata/) read as inspect-data reads them.
import { fileURLToPath } from 'node:url';
import { readExamples } from '../read-examples.ts';
import type { QualitySplits } from './inspect-data.ts';

export function qualityFixture(name: string): string {
  return fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
}

/**
 * train.tsv (lines 2-16): 2=4 and 3=5 duplicates (3/5 with labels 0/1), 6 and 7 very short, 8~9
 * near duplicates, 10 empty, 11 28 words, 12 "Ã©" and 13 "â€™" mojibake, 14 U+FFFD, 15 U+0007,
 * 16 invalid UTF-8. validation.tsv: 2, 3 and 5 are in train (5 with another label). test.tsv is
 * unlabelled; its line 2 is in train.
 */
export async function readQualityFixtures(): Promise<QualitySplits> {
  const train = await readExamples(qualityFixture('train.tsv'), { skipBadRows: true });
  const validation = await readExamples(qualityFixture('validation.tsv'), { skipBadRows: true, labelMap: train.labelMap });
  const test = await readExamples(qualityFixture('test.tsv'), { skipBadRows: true, labelColumn: null });
  return { train, validation, test };
}

/** A stand-in tokenizer: one token per whitespace-separated word plus [CLS] and [SEP]. */
export function countWordTokens(text: string, pair?: string): number {
  const words = (value: string): number => value.trim().split(/\s+/).length;
  return 2 + words(text) + (pair === undefined ? 0 : 1 + words(pair));
}
