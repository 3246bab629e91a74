import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BertTokenizer } from './bert-tokenizer.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const VOCAB = path.join(FIXTURES, 'vocab.txt');
const SENTENCES = async () =>
  (await readFile(path.join(FIXTURES, 'sst2-sample.tsv'), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t')[0]);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tokenizer-spec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (name: string) => JSON.parse(await readFile(path.join(dir, name), 'utf8'));

describe('save and reload', () => {
  it('writes the four Hugging Face files and reloads to identical ids', async () => {
    const original = await BertTokenizer.fromVocabFile(VOCAB);
    await original.save(dir);
    const config = await readJson('tokenizer_config.json');
    expect(config).toMatchObject({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512 });
    expect(config.cls_token).toBe('[CLS]');
    expect(await readJson('special_tokens_map.json')).toEqual({
      unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]',
    });
    expect(await readFile(path.join(dir, 'vocab.txt'), 'utf8')).toBe(await readFile(VOCAB, 'utf8'));

    const sentences = await SENTENCES();
    const fromJson = await BertTokenizer.fromPretrained(dir);
    expect(fromJson.encodeBatch(sentences, undefined, { padding: 'longest' })).toEqual(
      original.encodeBatch(sentences, undefined, { padding: 'longest' }),
    );
    await rm(path.join(dir, 'tokenizer.json'));
    const fromVocab = await BertTokenizer.fromPretrained(dir);
    expect(fromVocab.encodeBatch(sentences).inputIds).toEqual(original.encodeBatch(sentences).inputIds);
  });

  it('writes a tokenizer.json in the converter format that @huggingface/tokenizers encodes identically', async () => {
    const ours = await BertTokenizer.fromVocabFile(VOCAB);
    await ours.save(dir);
    const json = await readJson('tokenizer.json');
    expect(json.model).toMatchObject({ type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100 });
    expect(json.normalizer).toEqual({ type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true });
    expect(json.post_processor.special_tokens['[SEP]']).toEqual({ id: '[SEP]', ids: [102], tokens: ['[SEP]'] });
    expect(json.added_tokens.map((t: { id: number }) => t.id)).toEqual([0, 100, 101, 102, 103]);

    const reference = new Tokenizer(json, {});
    const sentences = await SENTENCES();
    expect(sentences).toHaveLength(40);
    sentences.forEach((sentence, i) => {
      const pair = sentences[(i + 1) % sentences.length];
      const mine = ours.encode(sentence, pair);
      const theirs = reference.encode(sentence, { text_pair: pair, return_token_type_ids: true });
      expect(mine.inputIds).toEqual(theirs.ids);
      expect(mine.tokenTypeIds).toEqual(theirs.token_type_ids);
    });
  });

  it('keeps a cased tokenizer cased through save and reload', async () => {
    const cased = await BertTokenizer.fromVocabFile(VOCAB, { doLowerCase: false, modelMaxLength: 128 });
    expect(cased.tokenize('Hello')).not.toEqual(['hello']);
    await cased.save(dir);
    expect((await readJson('tokenizer_config.json')).do_lower_case).toBe(false);
    const reloaded = await BertTokenizer.fromPretrained(dir);
    expect(reloaded.tokenize('Hello')).toEqual(cased.tokenize('Hello'));
    expect(reloaded.modelMaxLength).toBe(128);
  });
});

describe('fromPretrained with vocab.txt and tokenizer_config.json', () => {
  it('reads do_lower_case, model_max_length and special tokens written as objects', async () => {
    await copyFile(VOCAB, path.join(dir, 'vocab.txt'));
    const config = { do_lower_case: false, model_max_length: 256, cls_token: { content: '[CLS]', lstrip: false } };
    await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const tok = await BertTokenizer.fromPretrained(dir);
    expect(tok.modelMaxLength).toBe(256);
    expect(tok.clsTokenId).toBe(101);
    expect(tok.tokenize('Hello')).toEqual(['[UNK]']); // the uncased vocabulary has no "Hello"
  });

  it("treats Hugging Face's 1e30 'no limit' as BERT's 512", async () => {
    await copyFile(VOCAB, path.join(dir, 'vocab.txt'));
    await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1e30 }));
    expect((await BertTokenizer.fromPretrained(dir)).modelMaxLength).toBe(512);
  });

  it('splits "unaffable" into un ##aff ##able with the BERT paper toy vocabulary', async () => {
    const toy = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', '##aff', '##able', 'runn', '##ing'];
    await writeFile(path.join(dir, 'vocab.txt'), `${toy.join('\n')}\n`);
    const tok = await BertTokenizer.fromPretrained(dir);
    expect(tok.tokenize('unaffable running')).toEqual(['un', '##aff', '##able', 'runn', '##ing']);
    expect(tok.encode('unaffable').inputIds).toEqual([2, 5, 6, 7, 3]);
  });
});

describe('errors', () => {
  it('TOKENIZER_NOT_FOUND names a missing directory and an empty one', async () => {
    const missing = path.join(dir, 'nope');
    await expect(BertTokenizer.fromPretrained(missing)).rejects.toMatchObject({
      code: 'TOKENIZER_NOT_FOUND',
      message: expect.stringContaining(missing),
    });
    await expect(BertTokenizer.fromPretrained(dir)).rejects.toMatchObject({
      code: 'TOKENIZER_NOT_FOUND',
      message: expect.stringContaining('neither tokenizer.json nor vocab.txt'),
    });
    await expect(BertTokenizer.fromVocabFile(path.join(dir, 'vocab.txt'))).rejects.toMatchObject({
      code: 'TOKENIZER_NOT_FOUND',
    });
  });

  it('TOKENIZER_MISSING_SPECIAL_TOKEN names every missing token and the file', async () => {
    const vocabPath = path.join(dir, 'vocab.txt');
    await writeFile(vocabPath, ['[PAD]', '[UNK]', '[CLS]', 'hello'].join('\n'));
    const error = await BertTokenizer.fromPretrained(dir).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TokenizerError', code: 'TOKENIZER_MISSING_SPECIAL_TOKEN' });
    expect((error as Error).message).toContain(vocabPath);
    expect((error as Error).message).toContain('sep_token "[SEP]"');
    expect((error as Error).message).toContain('mask_token "[MASK]"');
    expect((error as Error).message).not.toContain('cls_token');
  });

  it('TOKENIZER_INVALID names the file and the field', async () => {
    await writeFile(path.join(dir, 'tokenizer.json'), '{ not json');
    await expect(BertTokenizer.fromPretrained(dir)).rejects.toMatchObject({
      code: 'TOKENIZER_INVALID',
      message: expect.stringContaining(path.join(dir, 'tokenizer.json')),
    });
    const bpe = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, model: { type: 'BPE' } };
    await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(bpe));
    await expect(BertTokenizer.fromPretrained(dir)).rejects.toThrow(/model\.type/);
  });

  it('TOKENIZER_INVALID names a repeated vocabulary line', async () => {
    await writeFile(path.join(dir, 'vocab.txt'), ['[PAD]', 'a', 'b', 'a'].join('\n'));
    await expect(BertTokenizer.fromPretrained(dir)).rejects.toThrow(/line 4: token "a" repeats line 2/);
  });
});
