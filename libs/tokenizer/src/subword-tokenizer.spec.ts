import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer } from './bert-tokenizer.ts';
import { loadTokenizer } from './load-tokenizer.ts';
import { SubwordTokenizer } from './subword-tokenizer.ts';

/**
 * Golden ids: the hand-made tokenizer.json files and the ids of an independent implementation
 * (tools/reference/roberta_reference.py `tokenize`: GPT-2's byte-level BPE by merge rank, and a
 * Unigram Viterbi with SentencePiece's unknown-character penalty), not of @huggingface/tokenizers.
 */
const FAMILIES = fileURLToPath(new URL('../fixtures/families/', import.meta.url));
const BPE_DIR = join(FAMILIES, 'roberta-bpe');
const UNIGRAM_DIR = join(FAMILIES, 'xlm-r-unigram');

async function golden(dir: string): Promise<{ text: string; ids: number[] }[]> {
  return JSON.parse(await readFile(join(dir, 'golden-ids.json'), 'utf8'));
}

describe('SubwordTokenizer: golden ids of the reference implementation', () => {
  for (const [name, dir] of [['byte-level BPE (RoBERTa)', BPE_DIR], ['Unigram (XLM-R)', UNIGRAM_DIR]] as const) {
    it(`${name}: every text gives the reference's ids, inside <s> ... </s>`, async () => {
      const tokenizer = await SubwordTokenizer.fromPretrained(dir);
      const cases = await golden(dir);
      expect(cases.length).toBeGreaterThanOrEqual(5);
      for (const { text, ids } of cases) {
        expect({ text, ids: tokenizer.encode(text).inputIds }).toEqual({ text, ids: [0, ...ids, 2] });
      }
    });
  }

  it('BPE: known pieces, a pair as <s> A </s></s> B </s> with token types 0, and decode back', async () => {
    const tokenizer = await SubwordTokenizer.fromPretrained(BPE_DIR);
    expect(tokenizer.modelType).toBe('BPE');
    expect(tokenizer.tokenize('Hello world')).toEqual(['Hello', 'Ġworld']);
    const pair = tokenizer.encode('Hello', 'world');
    // The pair's second text starts without a space, as in Hugging Face: `world` is w + or + ld, not Ġworld.
    expect(tokenizer.convertIdsToTokens(pair.inputIds)).toEqual(['<s>', 'Hello', '</s>', '</s>', 'w', 'or', 'ld', '</s>']);
    expect(new Set(pair.tokenTypeIds)).toEqual(new Set([0]));
    expect(tokenizer.decode(tokenizer.encode('hello  there, world!').inputIds, { skipSpecialTokens: true })).toBe('hello  there, world!');
  });

  it('Unigram: Viterbi picks the best-scoring split (▁lo + west), not the longest match (▁low + est)', async () => {
    const tokenizer = await SubwordTokenizer.fromPretrained(UNIGRAM_DIR);
    expect(tokenizer.modelType).toBe('Unigram');
    expect(tokenizer.tokenize('lowest')).toEqual(['▁lo', 'west']);
    expect(tokenizer.convertIdsToTokens(tokenizer.encode('héllo').inputIds)).toEqual(['<s>', '▁', 'h', '<unk>', 'llo', '</s>']);
  });

  it('pre-split words: each word gets its own prefix space, word ids per token, <mask> swallows the space before it', async () => {
    const bpe = await SubwordTokenizer.fromPretrained(BPE_DIR);
    const words = bpe.encodeWords([['Hello', 'world']]);
    // `Hello` as a word is ` Hello` (add_prefix_space): Ġ + Hello under these merges (no "Ġ H" merge), both word 0.
    expect(bpe.convertIdsToTokens(words.inputIds[0])).toEqual(['<s>', 'Ġ', 'Hello', 'Ġworld', '</s>']);
    expect(words.wordIds[0]).toEqual([null, 0, 0, 1, null]);
    expect(words.wordIds[0][0]).toBeNull();
    expect(words.wordIds[0].at(-1)).toBeNull();
    expect(words.wordIds[0].at(-2)).toBe(1);
    expect(bpe.tokenize('Hello <mask>')).toEqual(['Hello', '<mask>']);
    const unigram = await SubwordTokenizer.fromPretrained(UNIGRAM_DIR);
    expect(unigram.convertIdsToTokens(unigram.encodeWords([['hello', 'world']]).inputIds[0])).toEqual(['<s>', '▁hello', '▁world', '</s>']);
  });

  it('truncates longest-first around the special tokens and pads with <pad>, mask 0', async () => {
    const tokenizer = await SubwordTokenizer.fromPretrained(BPE_DIR);
    const batch = tokenizer.encodeBatch(['Hello world the lower newest', 'Hello'], undefined, { maxLength: 4, padding: 'max_length' });
    expect(batch.inputIds[0]).toHaveLength(4);
    expect(batch.inputIds[0][0]).toBe(0);
    expect(batch.inputIds[0][3]).toBe(2);
    expect(batch.inputIds[1]).toEqual([0, tokenizer.convertTokensToIds(['Hello'])[0], 2, tokenizer.padTokenId]);
    expect(batch.attentionMask[1]).toEqual([1, 1, 1, 0]);
    const pair = tokenizer.encode('Hello world the', 'lower newest', { maxLength: 7 });
    expect(pair.inputIds).toHaveLength(7);
    expect(() => tokenizer.encode('Hello', 'world', { maxLength: 3 })).toThrow(expect.objectContaining({ code: 'TOKENIZER_INVALID_OPTIONS' }));
  });

  describe('save and loadTokenizer', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tunefleet-subword-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('save writes Hugging Face files that load back to the same ids; loadTokenizer picks the class from model.type', async () => {
      const original = await SubwordTokenizer.fromPretrained(UNIGRAM_DIR);
      await original.save(join(dir, 'xlmr'));
      const config = JSON.parse(await readFile(join(dir, 'xlmr', 'tokenizer_config.json'), 'utf8'));
      expect(config).toMatchObject({ tokenizer_class: 'XLMRobertaTokenizer', mask_token: '<mask>', pad_token: '<pad>' });
      const loaded = await loadTokenizer(join(dir, 'xlmr'));
      expect(loaded).toBeInstanceOf(SubwordTokenizer);
      expect(loaded.encode('the lowest newer').inputIds).toEqual(original.encode('the lowest newer').inputIds);
      expect(await loadTokenizer(fileURLToPath(new URL('../fixtures/hf-toy/', import.meta.url)))).toBeInstanceOf(BertTokenizer);
    });

    it('a chat_template.jinja beside tokenizer.json is written back by save (a trained chat model keeps its template)', async () => {
      const source = join(dir, 'with-template');
      await (await SubwordTokenizer.fromPretrained(UNIGRAM_DIR)).save(source);
      const template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}";
      await writeFile(join(source, 'chat_template.jinja'), template);
      await (await SubwordTokenizer.fromPretrained(source)).save(join(dir, 'copied'));
      expect(await readFile(join(dir, 'copied', 'chat_template.jinja'), 'utf8')).toBe(template);
      await (await SubwordTokenizer.fromPretrained(UNIGRAM_DIR)).save(join(dir, 'plain'));
      await expect(readFile(join(dir, 'plain', 'chat_template.jinja'), 'utf8')).rejects.toThrow(/ENOENT/);
    });

    it('refuses a tokenizer.json of another model type, and one that lacks a special token, naming them', async () => {
      const json = JSON.parse(await readFile(join(BPE_DIR, 'tokenizer.json'), 'utf8'));
      await writeFile(join(dir, 'tokenizer.json'), JSON.stringify({ ...json, model: { ...json.model, type: 'WordLevel' } }));
      await expect(loadTokenizer(dir)).rejects.toMatchObject({ code: 'TOKENIZER_INVALID', message: expect.stringContaining('"WordLevel"') });
      const withoutMask = { ...json, added_tokens: json.added_tokens.filter((t: { content: string }) => t.content !== '<mask>') };
      const noMask = SubwordTokenizer.fromJson(withoutMask, {}, 'no-mask.json');
      expect(() => noMask.requireSpecialTokens('sequence-classification')).not.toThrow();
      expect(() => noMask.requireSpecialTokens('masked-lm')).toThrow(
        expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: 'no-mask.json: the masked-lm task needs mask_token "<mask>" (not in the vocabulary); add the token to the vocabulary or name it in tokenizer_config.json' }),
      );
      expect(() => noMask.maskTokenId).toThrow(expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining('mask_token "<mask>"') }));
    });
  });
});
