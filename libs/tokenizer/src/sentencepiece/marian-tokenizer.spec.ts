import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../load-tokenizer.ts';
import { MarianTokenizer } from './marian-tokenizer.ts';
import { readSentencePieceModel } from './sentencepiece-model.ts';
import { UnigramModel } from './unigram-model.ts';

/**
 * Golden ids from tools/reference/marian_tokenizer_reference.py: SentencePiece models trained with
 * python3-sentencepiece, ids of MarianTokenizer's mapping reimplemented on top of it.
 */
const FIXTURES = fileURLToPath(new URL('../../fixtures/marian/', import.meta.url));

interface Case {
  side: 'source' | 'target';
  text: string;
  pieces: string[];
  ids: number[];
  decoded: string;
}

async function expected(): Promise<{ dropped_from_vocab: string[]; cases: Case[] }> {
  return JSON.parse(await readFile(join(FIXTURES, 'expected-ids.json'), 'utf8'));
}

describe('MarianTokenizer: SentencePiece models and vocab.json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-marian-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the ModelProto: pieces with scores and types, trainer and normalizer specs', async () => {
    const source = readSentencePieceModel(await readFile(join(FIXTURES, 'source.spm')), 'source.spm');
    expect(source.pieces).toHaveLength(300);
    expect(source.pieces.slice(0, 3)).toEqual([
      { piece: '<unk>', score: 0, type: 2 },
      { piece: '<s>', score: 0, type: 3 },
      { piece: '</s>', score: 0, type: 3 },
    ]);
    expect(source.trainerSpec).toEqual({ modelType: 1, treatWhitespaceAsSuffix: false, byteFallback: false });
    expect(source.normalizerSpec).toMatchObject({ name: 'nmt_nfkc', addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true });
    expect(source.normalizerSpec.precompiledCharsmap.length).toBeGreaterThan(1000);
    const target = readSentencePieceModel(await readFile(join(FIXTURES, 'target.spm')), 'target.spm');
    expect(target.trainerSpec.byteFallback).toBe(true);
    expect(target.normalizerSpec.name).toBe('identity');
    expect(target.pieces.filter((p) => p.type === 6)).toHaveLength(256);
  });

  it('every golden text gives the reference pieces and ids (nmt_nfkc, byte fallback, unk merging, language code, </s>)', async () => {
    const tokenizer = await MarianTokenizer.fromPretrained(FIXTURES);
    const { cases, dropped_from_vocab: dropped } = await expected();
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) {
      const isTarget = c.side === 'target';
      const ids = isTarget ? tokenizer.encodeTargetBatch([c.text]).inputIds[0] : tokenizer.encode(c.text).inputIds;
      expect({ side: c.side, text: c.text, pieces: tokenizer.tokenize(c.text, { target: isTarget }), ids }).toEqual({ side: c.side, text: c.text, pieces: c.pieces, ids: c.ids });
    }
    // The cases reach what they are there for: unknown pieces, byte pieces and pieces left out of vocab.json.
    const all = cases.flatMap((c) => c.pieces);
    expect(all.some((p) => /^<0x[0-9A-F]{2}>$/u.test(p))).toBe(true);
    expect(cases.some((c) => c.pieces.some((p) => dropped.includes(p)))).toBe(true);
    expect(cases.flatMap((c) => c.ids).filter((id) => id === tokenizer.unkTokenId).length).toBeGreaterThan(3);
  });

  it('decodes target ids back to the text SentencePiece decodes, special tokens skipped or kept', async () => {
    const tokenizer = await MarianTokenizer.fromPretrained(FIXTURES);
    const targets = (await expected()).cases.filter((c) => c.side === 'target' && !c.ids.slice(0, -1).includes(tokenizer.unkTokenId));
    expect(targets.length).toBeGreaterThan(5);
    for (const c of targets) expect(tokenizer.decode(c.ids, { skipSpecialTokens: true })).toBe(c.decoded.trim());
    // ▁Hund is left out of vocab.json: it is <unk>, and special tokens are written as MarianTokenizer writes them.
    expect(tokenizer.decode(tokenizer.encodeTargetBatch(['Ein Hund']).inputIds[0])).toBe('Ein<unk> </s>');
    expect(tokenizer.decode(tokenizer.encodeTargetBatch(['Ein Hund']).inputIds[0], { skipSpecialTokens: true })).toBe('Ein');
  });

  it('pads with <pad>, truncates keeping </s>, and loadTokenizer picks it for source.spm + vocab.json', async () => {
    const tokenizer = await loadTokenizer(FIXTURES, { task: 'translation' });
    expect(tokenizer).toBeInstanceOf(MarianTokenizer);
    const vocab = JSON.parse(await readFile(join(FIXTURES, 'vocab.json'), 'utf8'));
    expect(tokenizer.padTokenId).toBe(vocab['<pad>']);
    const batch = tokenizer.encodeBatch(['A dog runs on the beach.', 'A'], undefined, { maxLength: 5, padding: 'max_length' });
    expect(batch.inputIds[0]).toHaveLength(5);
    expect(batch.inputIds[0][4]).toBe(vocab['</s>']);
    expect(batch.inputIds[1]).toEqual([vocab['▁A'], vocab['</s>'], vocab['<pad>'], vocab['<pad>'], vocab['<pad>']]);
    expect(batch.attentionMask[1]).toEqual([1, 1, 0, 0, 0]);
    expect(() => tokenizer.requireSpecialTokens('masked-lm')).toThrow(expect.objectContaining({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining('mask_token') }));
  });

  it('save writes the models, vocab.json and configs, which load back to the same ids', async () => {
    const original = await MarianTokenizer.fromPretrained(FIXTURES);
    await original.save(join(dir, 'saved'));
    const loaded = await loadTokenizer(join(dir, 'saved'));
    const text = '>>de<< Two young, White males are outside near many bushes.';
    expect(loaded.encode(text).inputIds).toEqual(original.encode(text).inputIds);
    expect(JSON.parse(await readFile(join(dir, 'saved', 'tokenizer_config.json'), 'utf8'))).toMatchObject({ tokenizer_class: 'MarianTokenizer', eos_token: '</s>' });
  });

  it('names what it cannot use: a BPE model, a vocab.json without </s>, a file that is not a model', async () => {
    const bpe = new BinaryWriter();
    bpe.tag(1, 2).bytes(new BinaryWriter().tag(1, 2).string('<unk>').tag(3, 0).int32(2).finish());
    bpe.tag(2, 2).bytes(new BinaryWriter().tag(3, 0).int32(2).finish());
    expect(() => new UnigramModel(readSentencePieceModel(bpe.finish(), 'bpe.model'), 'bpe.model')).toThrow(
      expect.objectContaining({ code: 'TOKENIZER_UNSUPPORTED', message: 'bpe.model: SentencePiece model_type 2 is not supported; only Unigram (1) models are' }),
    );
    expect(() => readSentencePieceModel(new TextEncoder().encode('not a model'), 'junk.spm')).toThrow(expect.objectContaining({ code: 'TOKENIZER_INVALID', message: expect.stringContaining('junk.spm: not a SentencePiece model') }));
    const broken = join(dir, 'broken');
    await rm(broken, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(broken));
    await copyFile(join(FIXTURES, 'source.spm'), join(broken, 'source.spm'));
    const vocab = JSON.parse(await readFile(join(FIXTURES, 'vocab.json'), 'utf8'));
    delete vocab['</s>'];
    await writeFile(join(broken, 'vocab.json'), JSON.stringify(vocab));
    await expect(loadTokenizer(broken)).rejects.toMatchObject({ code: 'TOKENIZER_MISSING_SPECIAL_TOKEN', message: expect.stringContaining('MarianTokenizer needs eos_token "</s>" (not in the vocabulary)') });
  });
});
