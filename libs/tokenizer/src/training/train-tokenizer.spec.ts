import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../load-tokenizer.ts';
import { SubwordTokenizer } from '../subword-tokenizer.ts';
import type { PreTokenizerType } from './pre-tokenizers.ts';
import { trainTokenizer } from './train-tokenizer.ts';

/** Written by tools/reference/bpe_trainer_reference.py (plain Python, from BpeTrainer's Rust source). */
const FIXTURES = fileURLToPath(new URL('../../fixtures/bpe-trainer/', import.meta.url));
const CORPUS = join(FIXTURES, 'corpus.txt');

interface Expected {
  type: PreTokenizerType;
  vocab_size: number;
  min_frequency: number;
  special_tokens: string[];
  vocab: string[];
  merges: [string, string][];
}

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('trainTokenizer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-train-tokenizer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const type of ['byte-level', 'metaspace', 'whitespace'] as const) {
    it(`${type}: the vocabulary (ids in order) and merges of the reference implementation`, async () => {
      const expected = (await readJson(join(FIXTURES, `expected-${type}.json`))) as Expected;
      const out = join(dir, type);
      const result = await trainTokenizer({ files: [CORPUS], type, vocabSize: expected.vocab_size, minFrequency: expected.min_frequency, specialTokens: expected.special_tokens, outputDir: out });
      const json = await readJson(join(out, 'tokenizer.json'));
      const byId: string[] = [];
      for (const [token, id] of Object.entries(json.model.vocab as Record<string, number>)) byId[id] = token;
      expect(byId).toEqual(expected.vocab);
      expect(json.model.merges).toEqual(expected.merges);
      expect(result).toMatchObject({ lines: 300, vocabSize: expected.vocab.length, merges: expected.merges.length });
      expect(expected.merges.length).toBeGreaterThan(100);
    });
  }

  it('byte-level: GPT-2 layout; loads in @huggingface/tokenizers and SubwordTokenizer, encodes and decodes back', async () => {
    const out = join(dir, 'byte-level');
    const json = await readJson(join(out, 'tokenizer.json'));
    expect(json.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(json.added_tokens).toEqual([{ id: 0, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]);
    const config = await readJson(join(out, 'tokenizer_config.json'));
    expect(config).toMatchObject({ tokenizer_class: 'PreTrainedTokenizerFast', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' });
    expect(await readFile(join(out, 'tokenizer_config.json'), 'utf8')).toContain('"model_max_length": 1000000000000000019884624838656');
    expect(await readJson(join(out, 'special_tokens_map.json'))).toEqual({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' });

    const text = 'Two young, White males are outside near many bushes. Ünïcödé 🙂';
    const hf = new Tokenizer(json, config);
    const hfIds = hf.encode(text).ids;
    expect(hf.decode(hfIds)).toBe(text);
    const ours = await loadTokenizer(out, { task: 'causal-lm' });
    expect(ours).toBeInstanceOf(SubwordTokenizer);
    const ids = ours.encode(text).inputIds;
    expect(ids).toEqual(hfIds);
    expect(ours.tokenize('Two young men')).toEqual(['Two', 'Ġyoung', 'Ġm', 'en']);
    expect(ours.decode(ids)).toBe(text);
  });

  it('metaspace and whitespace: </s> appended (T5 template), decode restores the spaces', async () => {
    for (const [type, tokens] of [
      ['metaspace', ['▁Two', '▁young', '▁men', '</s>']],
      ['whitespace', ['Two</w>', 'young</w>', 'men</w>', '</s>']],
    ] as const) {
      const out = join(dir, type);
      const tokenizer = await loadTokenizer(out, { task: 'translation' });
      const encoded = tokenizer.encode('Two young men');
      expect(tokenizer.convertIdsToTokens(encoded.inputIds)).toEqual(tokens);
      expect(tokenizer.decode(encoded.inputIds, { skipSpecialTokens: true })).toBe('Two young men');
      const json = await readJson(join(out, 'tokenizer.json'));
      const hf = new Tokenizer(json, await readJson(join(out, 'tokenizer_config.json')));
      expect(hf.encode('Two young men').ids).toEqual(encoded.inputIds);
      expect(json.model.unk_token).toBe('<unk>');
    }
  });

  it('reads .gz files as their text', async () => {
    const gz = join(dir, 'corpus.txt.gz');
    await writeFile(gz, gzipSync(await readFile(CORPUS)));
    const options = { type: 'metaspace', vocabSize: 300, minFrequency: 2, specialTokens: ['<pad>', '</s>', '<unk>'] } as const;
    await trainTokenizer({ ...options, files: [gz], outputDir: join(dir, 'gz') });
    expect(await readJson(join(dir, 'gz', 'tokenizer.json'))).toEqual(await readJson(join(dir, 'metaspace', 'tokenizer.json')));
  });

  it('refuses a missing file, an empty corpus and bad options, naming them', async () => {
    const base = { type: 'byte-level', vocabSize: 300, minFrequency: 0, specialTokens: [], outputDir: join(dir, 'bad') } as const;
    await expect(trainTokenizer({ ...base, files: [join(dir, 'nope.txt')] })).rejects.toMatchObject({ code: 'TOKENIZER_NOT_FOUND', message: expect.stringContaining('nope.txt') });
    await writeFile(join(dir, 'empty.txt'), '\n\n');
    await expect(trainTokenizer({ ...base, files: [join(dir, 'empty.txt')] })).rejects.toMatchObject({ code: 'TOKENIZER_TRAINING_INVALID', message: expect.stringContaining('2 lines, all empty') });
    await expect(trainTokenizer({ ...base, files: [CORPUS], vocabSize: 0, minFrequency: -1 })).rejects.toMatchObject({
      code: 'TOKENIZER_TRAINING_INVALID',
      message: expect.stringMatching(/--vocab-size must be a positive integer, got 0.*--min-frequency must be an integer >= 0, got -1/),
    });
  });
});

describe('special tokens follow the task (a GPT-2 tokenizer has <|endoftext|> alone)', () => {
  it('a byte-level tokenizer with only <|endoftext|> serves causal-lm; encoder tasks and padding name what is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tunefleet-gpt2-tok-'));
    try {
      await trainTokenizer({ files: [CORPUS], type: 'byte-level', vocabSize: 300, minFrequency: 2, specialTokens: ['<|endoftext|>'], outputDir: dir });
      const tokenizer = (await loadTokenizer(dir)) as SubwordTokenizer;
      expect(tokenizer.eosTokenId).toBe(0);
      expect(tokenizer.specialTokenId('pad_token')).toBeUndefined();
      expect(tokenizer.encodeBatch(['a dog', 'two dogs run'], undefined, { padding: false }).inputIds).toHaveLength(2);
      expect(() => tokenizer.encodeBatch(['a dog', 'two dogs run'], undefined, { padding: 'longest' })).toThrow(
        expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining(`padding ('longest') needs pad_token "<pad>" (not in the vocabulary)`) }),
      );
      await expect(loadTokenizer(dir, { task: 'sequence-classification' })).rejects.toMatchObject({
        code: 'TOKENIZER_MISSING_SPECIAL_TOKEN',
        message: expect.stringContaining('the sequence-classification task needs cls_token "<s>" (not in the vocabulary), sep_token "</s>" (not in the vocabulary), pad_token "<pad>"'),
      });
      expect(() => tokenizer.padTokenId).toThrow(expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN' }));
      // The tokenizer.json alone (no tokenizer_config.json), as a GPT-2 file often comes: <|endoftext|> is bos, eos and unk.
      const bare = SubwordTokenizer.fromJson(JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')), {}, 'gpt2.json');
      expect([bare.bosTokenId, bare.eosTokenId, bare.unkTokenId]).toEqual([0, 0, 0]);
      expect(() => bare.requireSpecialTokens('causal-lm')).not.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
