import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer } from './bert-tokenizer.ts';

const VOCAB = fileURLToPath(new URL('../fixtures/vocab.txt', import.meta.url));

let tok: BertTokenizer;
beforeAll(async () => {
  tok = await BertTokenizer.fromVocabFile(VOCAB);
});

describe('BertTokenizer parity with bert-base-uncased', () => {
  it('encodes "Hello, world!" as Hugging Face does', () => {
    const enc = tok.encode('Hello, world!');
    expect(enc.inputIds).toEqual([101, 7592, 1010, 2088, 999, 102]);
    expect(enc.attentionMask).toEqual([1, 1, 1, 1, 1, 1]);
    expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0]);
    expect(enc.wordIds).toEqual([null, 0, 1, 2, 3, null]);
  });

  it('exposes the special token ids and sizes of bert-base-uncased', () => {
    expect([tok.padTokenId, tok.unkTokenId, tok.clsTokenId, tok.sepTokenId, tok.maskTokenId]).toEqual([
      0, 100, 101, 102, 103,
    ]);
    expect(tok.vocabSize).toBe(30522);
    expect(tok.modelMaxLength).toBe(512);
  });

  it('serves the encoder tasks; causal-lm, translation and eos/bos name the token BERT lacks', () => {
    expect(() => tok.requireSpecialTokens('masked-lm')).not.toThrow();
    expect(tok.specialTokenId('cls_token')).toBe(101);
    expect(tok.specialTokenId('eos_token')).toBeUndefined();
    expect(() => tok.requireSpecialTokens('translation')).toThrow(expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining('the translation task needs eos_token') }));
    expect(() => tok.eosTokenId).toThrow(expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining('no eos_token') }));
  });

  it('splits "unaffable" greedily, longest match first', () => {
    // bert-base-uncased has "una" and no "##aff", so greedy WordPiece gives una ##ffa ##ble (as
    // transformers does); the "un ##aff ##able" of the BERT paper needs its toy vocabulary (below).
    expect(tok.tokenize('unaffable')).toEqual(['una', '##ffa', '##ble']);
    expect(tok.encode('unaffable').inputIds).toEqual([101, 14477, 20961, 3468, 102]);
  });

  it('lower-cases and strips accents', () => {
    expect(tok.tokenize('HÉLLO')).toEqual(['hello']);
    expect(tok.tokenize('Crème Brûlée')).toEqual(tok.tokenize('creme brulee'));
    expect(tok.tokenize('Crème')).toEqual(['cr', '##eme']);
  });

  it('splits punctuation into words of their own', () => {
    expect(tok.tokenize("don't!!")).toEqual(['don', "'", 't', '!', '!']);
    expect(tok.encode("don't").wordIds).toEqual([null, 0, 1, 2, null]);
  });

  it('maps an unknown character and an over-long word to [UNK] (id 100)', () => {
    expect(tok.encode('a ☃ b').inputIds).toEqual([101, 1037, 100, 1038, 102]);
    expect(tok.tokenize('x'.repeat(101))).toEqual(['[UNK]']);
    expect(tok.tokenize('a'.repeat(100))).not.toContain('[UNK]');
  });

  it('puts spaces around Chinese characters', () => {
    expect(tok.encode('中国').inputIds).toEqual([101, 1746, 1799, 102]);
  });

  it('keeps special tokens written in the text whole', () => {
    expect(tok.tokenize('the [MASK] sat')).toEqual(['the', '[MASK]', 'sat']);
    expect(tok.encode('the [MASK] sat').inputIds[2]).toBe(103);
  });

  it('encodes a pair with token types 0..0 1..1 and word ids restarting at 0', () => {
    const enc = tok.encode('Hello, world!', 'the pair');
    expect(enc.inputIds).toEqual([101, 7592, 1010, 2088, 999, 102, 1996, 3940, 102]);
    expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(enc.wordIds).toEqual([null, 0, 1, 2, 3, null, 0, 1, null]);
  });
});

describe('decode and id conversion', () => {
  it('decodes with and without special tokens', () => {
    const ids = tok.encode("Hello, world! don't").inputIds;
    expect(tok.decode(ids)).toBe("[CLS] hello, world! don't [SEP]");
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe("hello, world! don't");
    expect(tok.decode(tok.encode('unaffable').inputIds, { skipSpecialTokens: true })).toBe('unaffable');
    expect(tok.decode([])).toBe('');
  });

  it('converts ids to tokens and back', () => {
    expect(tok.convertIdsToTokens([101, 7592, 102])).toEqual(['[CLS]', 'hello', '[SEP]']);
    expect(tok.convertTokensToIds(['hello', 'no-such-token'])).toEqual([7592, 100]);
  });

  it('rejects ids outside the vocabulary with TOKENIZER_INVALID_ID', () => {
    expect(() => tok.convertIdsToTokens([30522])).toThrow(expect.objectContaining({ code: 'TOKENIZER_INVALID_ID' }));
    expect(() => tok.decode([-1])).toThrow(/-1 is outside the vocabulary \[0, 30522\)/);
  });
});
