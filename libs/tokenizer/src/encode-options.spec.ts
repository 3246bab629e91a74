import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer } from './bert-tokenizer.ts';

const VOCAB = fileURLToPath(new URL('../fixtures/vocab.txt', import.meta.url));
const CLS = 101;
const SEP = 102;

let tok: BertTokenizer;
beforeAll(async () => {
  tok = await BertTokenizer.fromVocabFile(VOCAB, { modelMaxLength: 8 });
});

describe('truncation', () => {
  it('keeps [CLS] and the final [SEP] when cutting a single text', () => {
    const enc = tok.encode('one two three four five six', undefined, { maxLength: 5, truncation: true });
    expect(enc.inputIds).toEqual([CLS, 2028, 2048, 2093, SEP]);
    expect(enc.wordIds).toEqual([null, 0, 1, 2, null]);
  });

  it('defaults to modelMaxLength when truncation is on without maxLength', () => {
    const enc = tok.encode('a b c d e f g h i j', undefined, { truncation: true });
    expect(enc.inputIds).toHaveLength(8);
    expect(enc.inputIds.at(-1)).toBe(SEP);
  });

  it('truncates when maxLength is given and truncation left unset, as transformers does', () => {
    expect(tok.encode('a b c d e f', undefined, { maxLength: 4 }).inputIds).toHaveLength(4);
    expect(tok.encode('a b c d e f', undefined, { maxLength: 4, truncation: false }).inputIds).toHaveLength(8);
  });

  it('cuts the longer text of a pair first and keeps both [SEP]', () => {
    // 2 + 6 tokens into 9 - 3 = 6: the short text stays whole, the long one keeps 4.
    const enc = tok.encode('hello world', 'a b c d e f', { maxLength: 9 });
    expect(enc.inputIds).toEqual([CLS, 7592, 2088, SEP, 1037, 1038, 1039, 1040, SEP]);
    expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(enc.wordIds).toEqual([null, 0, 1, null, 0, 1, 2, 3, null]);
  });

  it('rejects a maxLength with no room for the special tokens', () => {
    expect(() => tok.encode('a', 'b', { maxLength: 2 })).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_INVALID_OPTIONS' }),
    );
    expect(() => tok.encode('a', undefined, { maxLength: 0 })).toThrow(/positive integer/);
  });
});

describe('padding', () => {
  it("pads to the longest row with 'longest'", () => {
    const batch = tok.encodeBatch(['hello', 'hello world !'], undefined, { padding: 'longest' });
    expect(batch.inputIds).toEqual([
      [CLS, 7592, SEP, 0, 0],
      [CLS, 7592, 2088, 999, SEP],
    ]);
    expect(batch.attentionMask).toEqual([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
    expect(batch.tokenTypeIds[0]).toEqual([0, 0, 0, 0, 0]);
    expect(batch.wordIds[0]).toEqual([null, 0, null, null, null]);
  });

  it("pads to maxLength with 'max_length' and leaves rows ragged without padding", () => {
    const padded = tok.encodeBatch(['hello', 'hi'], undefined, { padding: 'max_length', maxLength: 6 });
    expect(padded.inputIds.map((row) => row.length)).toEqual([6, 6]);
    const ragged = tok.encodeBatch(['hello', 'hello world'], undefined);
    expect(ragged.inputIds.map((row) => row.length)).toEqual([3, 4]);
  });

  it('pads pairs with token type 0', () => {
    const batch = tok.encodeBatch(['a', 'a b'], ['b', 'c'], { padding: 'longest' });
    expect(batch.tokenTypeIds).toEqual([
      [0, 0, 0, 1, 1, 0],
      [0, 0, 0, 0, 1, 1],
    ]);
  });

  it('needs one pair per text', () => {
    expect(() => tok.encodeBatch(['a', 'b'], ['c'])).toThrow(/2 texts but 1 pairs/);
  });
});

describe('encodeWords (pre-split words)', () => {
  it('gives every piece of a word that word index, null for special and padding tokens', () => {
    const batch = tok.encodeWords([['John', 'lives', 'in', 'New-York'], ['unaffable']], { padding: 'longest' });
    expect(batch.wordIds).toEqual([
      [null, 0, 1, 2, 3, 3, 3, null],
      [null, 0, 0, 0, null, null, null, null],
    ]);
    expect(batch.inputIds[0]).toEqual([CLS, 2198, 3268, 1999, 2047, 1011, 2259, SEP]);
    expect(batch.attentionMask[1]).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
  });

  it('drops empty words without shifting the others and truncates keeping [SEP]', () => {
    const batch = tok.encodeWords([['a', '', 'b', 'c', 'd']], { maxLength: 4 });
    expect(batch.inputIds[0]).toEqual([CLS, 1037, 1038, SEP]);
    expect(batch.wordIds[0]).toEqual([null, 0, 2, null]);
  });
});
