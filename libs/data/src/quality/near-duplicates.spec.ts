import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@tunefleet/core';
import type { Example } from '../read-examples.ts';
import { jaccard, shingleHashes } from './minhash.ts';
import { DEFAULT_NEAR_DUPLICATES, nearDuplicates } from './near-duplicates.ts';

const VOCABULARY = (
  'film movie story actor scene plot music score camera light dark funny sad warm cold long short slow fast ' +
  'bright dull clever silly tender brutal quiet loud gentle sharp honest fake bold timid rich poor young old ' +
  'city river night morning winter summer house road window garden letter dream friend stranger mother father'
).split(' ');

/** 300 random 12-word sentences, then 6 copies with one character changed mid-text (planted near duplicates). */
function corpus(): { examples: Example[]; planted: [number, number][] } {
  const random = mulberry32(7);
  const texts: string[] = [];
  for (let i = 0; i < 300; i++) {
    texts.push(Array.from({ length: 12 }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]).join(' '));
  }
  const planted: [number, number][] = [];
  for (const source of [3, 50, 101, 150, 222, 299]) {
    const text = texts[source]!;
    const at = Math.floor(text.length / 2);
    texts.push(`${text.slice(0, at)}${text[at] === 'x' ? 'y' : 'x'}${text.slice(at + 1)}`);
    planted.push([source + 2, texts.length + 1]);
  }
  return { examples: texts.map((text, i) => ({ line: i + 2, text })), planted };
}

describe('nearDuplicates: MinHash + LSH banding', () => {
  const { examples, planted } = corpus();
  const keys = examples.map((example) => example.text);
  const settings = DEFAULT_NEAR_DUPLICATES;

  it('finds exactly the pairs an all-pairs exact Jaccard finds, which are the planted ones', () => {
    const sets = keys.map((key) => shingleHashes(key, settings.shingle, settings.shingleSize));
    const bruteForce: [number, number][] = [];
    for (let a = 0; a < sets.length; a++) {
      for (let b = a + 1; b < sets.length; b++) {
        if (jaccard(sets[a]!, sets[b]!) >= settings.threshold) bruteForce.push([examples[a]!.line, examples[b]!.line]);
      }
    }
    expect(bruteForce).toEqual(planted);
    const report = nearDuplicates(examples, keys, settings);
    expect(report.pairs.map((pair) => pair.lines)).toEqual(planted);
    expect(report.rowsInvolved).toBe(12);
    for (const pair of report.pairs) {
      const [a, b] = pair.lines.map((line) => line - 2);
      expect(pair.jaccard).toBe(jaccard(sets[a!]!, sets[b!]!));
    }
  });

  it('checks far fewer candidates than all pairs, and the same ones for the same seed', () => {
    const first = nearDuplicates(examples, keys, settings);
    const again = nearDuplicates(examples, keys, settings);
    expect(again).toEqual(first);
    expect(first.candidatesChecked).toBeLessThan((examples.length * (examples.length - 1)) / 2 / 100);
  });

  it('reports nothing below the threshold: a threshold of 1 keeps no one-character edit', () => {
    expect(nearDuplicates(examples, keys, { ...settings, threshold: 1 }).pairs).toEqual([]);
  });

  it('works over word shingles too', () => {
    const pairs = [
      { line: 2, text: 'the quick brown fox jumps over the lazy dog near the river bank today' },
      { line: 3, text: 'the quick brown fox jumps over the lazy dog near the river bank tonight' },
      { line: 4, text: 'an entirely different sentence about something else altogether here' },
    ];
    const report = nearDuplicates(pairs, pairs.map((p) => p.text), { ...settings, shingle: 'word', shingleSize: 2, threshold: 0.8 });
    // 13 word bigrams each, 12 shared: 12 / 14.
    expect(report.pairs).toEqual([{ lines: [2, 3], jaccard: 12 / 14 }]);
  });

  it('rejects settings out of range', () => {
    expect(() => nearDuplicates(examples, keys, { ...settings, bands: 0 })).toThrow('near-duplicate bands must be a positive integer, got 0.');
    expect(() => nearDuplicates(examples, keys, { ...settings, threshold: 0 })).toThrow('near-duplicate threshold must be in (0, 1], got 0.');
  });
});
