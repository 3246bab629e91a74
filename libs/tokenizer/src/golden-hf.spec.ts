import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer } from './bert-tokenizer.ts';

// Written by fixtures/make-golden.py with Hugging Face `tokenizers` (Rust), independently of this code.
interface GoldenRow {
  ids: number[];
  typeIds: number[];
  wordIds: (number | null)[];
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/golden-hf.json', import.meta.url), 'utf8')) as {
  texts: string[];
  single: GoldenRow[];
  pairMaxLength: number;
  pairs: [string, string][];
  truncatedPairs: GoldenRow[];
  words: string[][];
  wordsMaxLength: number;
  truncatedWords: GoldenRow[];
  toyTexts: string[];
  toy: GoldenRow[];
};

let tok: BertTokenizer;
beforeAll(async () => {
  tok = await BertTokenizer.fromVocabFile(fileURLToPath(new URL('../fixtures/vocab.txt', import.meta.url)));
});

describe('parity with Hugging Face tokenizers (Rust) on bert-base-uncased', () => {
  it('encodes single texts identically, word ids included', () => {
    expect(golden.texts.length).toBeGreaterThan(40);
    golden.texts.forEach((text, i) => {
      const enc = tok.encode(text);
      expect({ ids: enc.inputIds, typeIds: enc.tokenTypeIds, wordIds: enc.wordIds }, text).toEqual(golden.single[i]);
    });
  });

  it('truncates pairs longest_first identically, keeping both [SEP]', () => {
    golden.pairs.forEach(([a, b], i) => {
      const enc = tok.encode(a, b, { maxLength: golden.pairMaxLength, truncation: true });
      expect({ ids: enc.inputIds, typeIds: enc.tokenTypeIds, wordIds: enc.wordIds }, `${a} || ${b}`).toEqual(
        golden.truncatedPairs[i],
      );
    });
  });

  it('encodes pre-split words (is_pretokenized) identically', () => {
    const batch = tok.encodeWords(golden.words, { maxLength: golden.wordsMaxLength, truncation: true });
    golden.truncatedWords.forEach((row, i) => {
      expect({ ids: batch.inputIds[i], typeIds: batch.tokenTypeIds[i], wordIds: batch.wordIds[i] }).toEqual(row);
    });
  });
});

describe('a tokenizer.json written by Hugging Face tokenizers', () => {
  it('loads through fromPretrained and encodes as tokenizers does ("unaffable" -> un ##aff ##able)', async () => {
    const toy = await BertTokenizer.fromPretrained(fileURLToPath(new URL('../fixtures/hf-toy', import.meta.url)));
    expect(toy.vocabSize).toBe(11);
    expect(toy.tokenize('unaffable')).toEqual(['un', '##aff', '##able']);
    golden.toyTexts.forEach((text, i) => {
      const enc = toy.encode(text);
      expect({ ids: enc.inputIds, typeIds: enc.tokenTypeIds, wordIds: enc.wordIds }, text).toEqual(golden.toy[i]);
    });
  });
});
