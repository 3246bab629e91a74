import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../checkpoint/index.ts';
import { familyPresetConfig, parseModelConfig, type MarianConfig } from '../config/index.ts';
import { readGenerationConfig } from '../generation/generation-config.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { createModel, loadPretrained } from '../pretrained.ts';
import { readSeq2SeqBatch } from '../seq2seq/seq2seq-golden-check.ts';
import { generateSeq2Seq } from '../seq2seq/seq2seq-generate.ts';
import type { MarianMTModel } from './marian-model.ts';
import { sinusoidalTable } from './sinusoidal-positions.ts';

const GOLDEN = join(FIXTURES_DIR, 'golden-marian/translation');
let work: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(join(tmpdir(), 'tunefleet-marian-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function load(dir: string): Promise<MarianMTModel> {
  return (await loadPretrained(dir, { task: 'translation' })).model as MarianMTModel;
}

describe('MarianConfig', () => {
  it('opus-mt defaults; every bad field at once; share_encoder_decoder_embeddings false is named as not implemented', () => {
    expect(parseModelConfig({ architectures: ['MarianMTModel'] }, 'c.json')).toMatchObject({ model_type: 'marian', vocab_size: 58101, pad_token_id: 58100, decoder_start_token_id: 58100, static_position_embeddings: true });
    expect(() => parseModelConfig({ model_type: 'marian', vocab_size: 10, d_model: 30, encoder_attention_heads: 4, pad_token_id: 12, activation_function: 'mish', share_encoder_decoder_embeddings: false }, 'c.json')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: expect.arrayContaining([
          { path: 'encoder_attention_heads', message: 'd_model 30 is not divisible by encoder_attention_heads 4' },
          { path: 'pad_token_id', message: 'pad_token_id 12 is not below vocab_size 10' },
          expect.objectContaining({ path: 'activation_function' }),
          { path: 'share_encoder_decoder_embeddings', message: 'share_encoder_decoder_embeddings false (separate source and target embeddings) is not implemented' },
        ]),
      }),
    );
  });

  it('a seq2seq config.json naming an architecture tunefleet lacks is CONFIG_UNSUPPORTED_MODEL naming it', () => {
    expect(() => parseModelConfig({ model_type: 't5', architectures: ['T5ForConditionalGeneration'] }, 'ckpt/config.json')).toThrow(
      expect.objectContaining({ code: 'CONFIG_UNSUPPORTED_MODEL', message: expect.stringContaining('model_type "t5" (architectures[0] "T5ForConditionalGeneration") is not supported') }),
    );
    expect(() => parseModelConfig({ architectures: ['BartForConditionalGeneration'] }, 'ckpt/config.json')).toThrow(expect.objectContaining({ code: 'CONFIG_UNSUPPORTED_MODEL', message: expect.stringContaining('"BartForConditionalGeneration" is not supported') }));
    expect(() => parseModelConfig({ model_type: 'bert', architectures: ['MarianMTModel'] }, 'ckpt/config.json')).toThrow(/"MarianMTModel" is a marian class but model_type is "bert"/);
  });

  it("the sinusoidal table is MarianSinusoidalPositionalEmbedding's: sines of even features first, cosines of odd ones after", () => {
    const table = sinusoidalTable(3, 4);
    const angle = (p: number, j: number) => p / Math.pow(10000, (2 * Math.floor(j / 2)) / 4);
    expect(Array.from(table.subarray(8, 12))).toEqual([Math.sin(angle(2, 0)), Math.sin(angle(2, 2)), Math.cos(angle(2, 1)), Math.cos(angle(2, 3))].map(Math.fround));
  });
});

describe('MarianMTModel', () => {
  it('save writes config.json, generation_config.json and every checkpoint tensor; loading it back gives the same logits', async () => {
    const model = await load(GOLDEN);
    const batch = await readSeq2SeqBatch(join(GOLDEN, 'inputs.json'));
    const dir = join(work, 'saved');
    await model.save(dir);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'marian', architectures: ['MarianMTModel'], decoder_start_token_id: 52, static_position_embeddings: true });
    expect(await readGenerationConfig(dir, {})).toMatchObject({ bad_words_ids: [[52]], forced_eos_token_id: 0, decoder_start_token_id: 52, eos_token_id: 0, pad_token_id: 52 });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    expect(tensors.get('final_logits_bias')?.shape).toEqual([1, 53]);
    expect(Array.from(tensors.get('model.encoder.embed_positions.weight')!.data)).toEqual(Array.from(sinusoidalTable(24, 32)));
    expect(tensors.has('lm_head.weight')).toBe(false);
    const again = await load(dir);
    const [a, b] = [model.forward(batch, { training: false }), again.forward(batch, { training: false })];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b]);
    model.dispose();
    again.dispose();
  });

  it('loads a MarianModel checkpoint without the model. prefix whose only embedding copy is encoder.embed_tokens', async () => {
    const { tensors } = await readSafetensors(join(GOLDEN, 'model.safetensors'));
    const renamed = new Map([...tensors].map(([name, data]) => [name === 'model.shared.weight' ? 'encoder.embed_tokens.weight' : name.replace(/^model\./, ''), data]));
    const dir = join(work, 'base');
    await writeSafetensors(join(dir, 'model.safetensors'), renamed);
    await writeFile(join(dir, 'config.json'), await readFile(join(GOLDEN, 'config.json')));
    const logs: string[] = [];
    const { model, report } = await loadPretrained(dir, { task: 'translation', log: (line) => logs.push(line) });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    const reference = await load(GOLDEN);
    expect(Array.from(model.parameters.get('model.shared.weight')!.dataSync())).toEqual(Array.from(reference.parameters.get('model.shared.weight')!.dataSync()));
    model.dispose();
    reference.dispose();
  });

  it('a decoder attention mask over the target padding leaves the labelled logits and the loss as they are (right padding, causal)', async () => {
    const model = await load(GOLDEN);
    const batch = await readSeq2SeqBatch(join(GOLDEN, 'inputs.json'));
    const masked = { ...batch, decoderAttentionMask: Int32Array.from(batch.labels!, (label) => (label === -100 ? 0 : 1)) };
    const [plain, withMask] = [model.forward(batch, { training: false }), model.forward(masked, { training: false })];
    const [a, b] = [plain.arraySync() as number[][][], withMask.arraySync() as number[][][]];
    batch.labels!.forEach((label, i) => {
      if (label === -100) return;
      const [row, t] = [Math.floor(i / batch.targetLength!), i % batch.targetLength!];
      a[row][t].forEach((value, v) => expect(b[row][t][v]).toBeCloseTo(value, 5));
    });
    expect(model.loss(withMask, masked).dataSync()[0]).toBeCloseTo(model.loss(plain, batch).dataSync()[0], 5);
    tf.dispose([plain, withMask]);
    model.dispose();
  });

  it('a batch without the seq2seq fields, or of the wrong sizes, is an error naming the field', async () => {
    const model = await load(GOLDEN);
    const batch = await readSeq2SeqBatch(join(GOLDEN, 'inputs.json'));
    expect(() => model.forward({ ...batch, decoderInputIds: undefined }, { training: false })).toThrow(expect.objectContaining({ code: 'BATCH_SHAPE', message: expect.stringContaining('decoderInputIds') }));
    expect(() => model.forward({ ...batch, labels: new Int32Array(3) }, { training: false })).toThrow(/batch.labels has 3 values, expected batchSize 2 x targetLength 6/);
    expect(() => model.forward({ ...batch, decoderInputIds: new Int32Array(12).fill(99) }, { training: false })).toThrow(/decoderInputIds\[0\] = 99 is outside \[0, 53\)/);
    expect(() => generateSeq2Seq(model, [[3]], { config: { max_length: 1 } })).toThrow(/max_length 1 counts the decoder start token/);
    expect(() => generateSeq2Seq(model, [[3], []])).toThrow(expect.objectContaining({ code: 'GENERATION_INPUT_INVALID', message: expect.stringContaining('source 1 is empty') }));
    model.dispose();
  });

  it('a tiny preset from scratch trains: the loss falls on a repeated batch; dropout is reproducible per seed', async () => {
    const config = familyPresetConfig('marian', 'tiny', { vocabSize: 40, padTokenId: 39, eosTokenId: 0 }) as MarianConfig;
    expect(config).toMatchObject({ d_model: 128, encoder_layers: 2, decoder_start_token_id: 39, bad_words_ids: [[39]], num_beams: 4, activation_function: 'swish' });
    // The preset's fields at a smaller width, so the steps are quick.
    const small = parseModelConfig({ ...config, d_model: 32, encoder_ffn_dim: 48, decoder_ffn_dim: 48, encoder_attention_heads: 4, decoder_attention_heads: 4 }, 'small');
    const model = createModel(small, 'translation', { seed: 3 }) as MarianMTModel;
    expect(model.parameters.has('final_logits_bias')).toBe(false);
    const batch = {
      batchSize: 2,
      seqLength: 4,
      inputIds: Int32Array.from([5, 6, 7, 0, 8, 9, 0, 39]),
      attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
      tokenTypeIds: new Int32Array(8),
      targetLength: 3,
      decoderInputIds: Int32Array.from([39, 11, 12, 39, 13, 0]),
      labels: Int32Array.from([11, 12, 0, 13, 0, -100]),
    };
    const first = tf.tidy(() => model.forward(batch, { training: true, dropoutSeed: 5 }).dataSync());
    expect(tf.tidy(() => model.forward(batch, { training: true, dropoutSeed: 5 }).dataSync())).toEqual(first);
    expect(tf.tidy(() => model.forward(batch, { training: true, dropoutSeed: 6 }).dataSync())).not.toEqual(first);
    const losses: number[] = [];
    const optimizer = tf.train.adam(3e-3);
    for (let step = 0; step < 8; step++) {
      const cost = optimizer.minimize(() => model.loss(model.forward(batch, { training: false }), batch), true, [...model.parameters.values()]);
      losses.push(cost!.dataSync()[0]);
      cost!.dispose();
    }
    expect(losses[7]).toBeLessThan(losses[0] * 0.8);
    optimizer.dispose();
    model.dispose();
  });
});
