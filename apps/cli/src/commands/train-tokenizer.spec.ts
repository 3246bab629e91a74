import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '@tunefleet/tokenizer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';
import { splitSpecialTokens } from './train-tokenizer.ts';

const CORPUS = fileURLToPath(new URL('../../../../libs/tokenizer/fixtures/bpe-trainer/corpus.txt', import.meta.url));

describe('tunefleet train-tokenizer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-cli-tok-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--special-tokens takes repeated flags and comma lists', () => {
    expect(splitSpecialTokens(['<pad>,</s>', '<unk>', ' <mask> ,'])).toEqual(['<pad>', '</s>', '<unk>', '<mask>']);
  });

  it('writes the three files with the options given and prints sizes and time', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const out = join(dir, 'ws');
      const code = await main(['train-tokenizer', CORPUS, '--type', 'whitespace', '--vocab-size', '280', '--min-frequency', '3', '--special-tokens', '<pad>,</s>', '--special-tokens', '<unk>', '--output', out]);
      expect(code).toBe(0);
      const printed = stdout.mock.calls.map((call) => String(call[0])).join('');
      expect(printed).toMatch(/trained whitespace BPE: 280 tokens \(3 special, \d+ merges\) from 300 lines \(\d+ distinct words\) in \d+\.\d s/);
      const json = JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8'));
      const text = await readFile(join(out, 'tokenizer.json'), 'utf8');
      // Written in id order, as tokenizers writes it (integer-like tokens such as "0" stay in place).
      expect(text).toContain('"vocab":{"<pad>":0,"</s>":1,"<unk>":2,');
      expect(Object.entries(json.model.vocab).sort((a, b) => Number(a[1]) - Number(b[1])).map(([token]) => token).slice(0, 3)).toEqual(['<pad>', '</s>', '<unk>']);
      expect(json.pre_tokenizer.type).toBe('Whitespace');
      const tokenizer = await loadTokenizer(out, { task: 'translation' });
      expect(tokenizer.padTokenId).toBe(0);
      expect(tokenizer.eosTokenId).toBe(1);
    } finally {
      stdout.mockRestore();
    }
  });

  it('a bad --type is a usage error (2); a missing file fails naming it (1)', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['train-tokenizer', CORPUS, '--type', 'unigram', '--output', join(dir, 'x')])).toBe(2);
      expect(await main(['train-tokenizer', join(dir, 'missing.txt'), '--output', join(dir, 'x')])).toBe(1);
      expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toContain('missing.txt: no such training file [TOKENIZER_NOT_FOUND]');
    } finally {
      stderr.mockRestore();
    }
  });
});
