import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { describe, expect, it } from 'vitest';
import type { GenerationConfig } from '../generation/generation-config.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { loadPretrained } from '../pretrained.ts';
import type { EncoderDecoderModel } from '../seq2seq/encoder-decoder-model.ts';
import { generateSeq2Seq } from '../seq2seq/seq2seq-generate.ts';
import { availableBackends } from '../test-support.ts';

// Fixtures: /usr/bin/python3 tools/reference/marian_reference.py generate --out libs/model/fixtures/golden-marian
const backends = await availableBackends();
const DIR = join(FIXTURES_DIR, 'golden-marian/translation');

interface GenerationFixture {
  sources: number[][];
  cases: { name: string; config: Partial<GenerationConfig>; tokens: number[][] }[];
}

const fixture = JSON.parse(await readFile(join(DIR, 'generation.json'), 'utf8')) as GenerationFixture;

describe('Marian generation equals the reference (greedy and beam search, batched with padding)', () => {
  for (const backend of backends) {
    it(`on ${backend}: every case token for token, with and without the key/value cache, nothing leaked`, async () => {
      await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
      const { model } = await loadPretrained(DIR, { task: 'translation' });
      const marian = model as EncoderDecoderModel<unknown>;
      const before = tf.memory().numTensors;
      for (const { name, config, tokens } of fixture.cases) {
        for (const useCache of [true, false]) {
          const result = generateSeq2Seq(marian, fixture.sources, { config: { ...config, use_cache: useCache } });
          expect({ name, useCache, sequences: result.sequences }).toEqual({ name, useCache, sequences: tokens });
        }
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  }

  it('sampling is reproducible per seed, differs between seeds, and top_k 1 is greedy; do_sample with beams is refused', async () => {
    await initBackend({ backend: 'cpu' });
    const { model } = await loadPretrained(DIR, { task: 'translation' });
    const marian = model as EncoderDecoderModel<unknown>;
    const config = { do_sample: true, temperature: 2, top_k: 0, max_new_tokens: 8 };
    const first = generateSeq2Seq(marian, fixture.sources, { config, seed: 11 });
    expect(generateSeq2Seq(marian, fixture.sources, { config: { ...config, use_cache: false }, seed: 11 })).toEqual(first);
    const others = [12, 13, 14].map((seed) => JSON.stringify(generateSeq2Seq(marian, fixture.sources, { config, seed }).sequences));
    expect(others.some((other) => other !== JSON.stringify(first.sequences))).toBe(true);
    const greedy = fixture.cases.find((c) => c.name === 'greedy')!;
    expect(generateSeq2Seq(marian, fixture.sources, { config: { ...greedy.config, do_sample: true, top_k: 1 }, seed: 5 }).sequences).toEqual(greedy.tokens);
    expect(() => generateSeq2Seq(marian, fixture.sources, { config: { do_sample: true, num_beams: 2 } })).toThrow(expect.objectContaining({ code: 'GENERATION_INPUT_INVALID' }));
    model.dispose();
  });
});
