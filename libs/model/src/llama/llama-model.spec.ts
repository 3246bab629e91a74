import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../checkpoint/index.ts';
import { parseModelConfig, type LlamaConfig } from '../config/index.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { createModel, loadPretrained } from '../pretrained.ts';
import { readBatch } from '../test-support.ts';
import { inverseFrequencies } from './rotary.ts';

const GQA = join(FIXTURES_DIR, 'golden-llama', 'gqa', 'causal-lm');
let work: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(join(tmpdir(), 'tunefleet-llama-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const logitsOf = async (dir: string) => {
  const { model } = await loadPretrained(dir, { task: 'causal-lm' });
  const batch = await readBatch(join(GQA, 'inputs.json'));
  const logits = tf.tidy(() => Array.from(model.forward(batch, { training: false }).dataSync()));
  model.dispose();
  return logits;
};

describe('LlamaForCausalLM', () => {
  it('save writes LlamaForCausalLM with its lm_head (untied); loading it back gives the same logits', async () => {
    const { model } = await loadPretrained(GQA, { task: 'causal-lm' });
    await model.save(join(work, 'saved'));
    model.dispose();
    const config = JSON.parse(await readFile(join(work, 'saved', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'], num_key_value_heads: 2, rope_scaling: { rope_type: 'llama3' } });
    expect((await readSafetensors(join(work, 'saved', 'model.safetensors'))).tensors.has('lm_head.weight')).toBe(true);
    expect(await logitsOf(join(work, 'saved'))).toEqual(await logitsOf(GQA));
  });

  it('loads a base LlamaModel checkpoint (no model. prefix, rotary inv_freq buffers); a missing untied lm_head is newly initialised', async () => {
    const dir = join(work, 'base');
    await mkdir(dir, { recursive: true });
    await copyFile(join(GQA, 'config.json'), join(dir, 'config.json'));
    const { tensors } = await readSafetensors(join(GQA, 'model.safetensors'));
    const base = new Map([...tensors].filter(([name]) => name !== 'lm_head.weight').map(([name, t]) => [name.replace(/^model\./, ''), t]));
    base.set('layers.0.self_attn.rotary_emb.inv_freq', { shape: [4], data: new Float32Array(4) });
    await writeSafetensors(join(dir, 'model.safetensors'), base);
    const lines: string[] = [];
    const { model, report } = await loadPretrained(dir, { task: 'causal-lm', log: (line) => lines.push(line) });
    model.dispose();
    expect(report).toEqual({ newlyInitialized: ['lm_head.weight'], unused: [], mismatched: [] });
    expect(lines[0]).toMatch(/^Some weights of LlamaForCausalLM were not initialized from the model checkpoint at .* and are newly initialized: \['lm_head.weight'\]/);
  });

  it('initialises as LlamaPreTrainedModel: normal(initializer_range), RMSNorm weights one, the pad row zero; tied heads list no lm_head', () => {
    const config = parseModelConfig({ model_type: 'llama', vocab_size: 40, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 1, num_attention_heads: 4, pad_token_id: 3, tie_word_embeddings: true }, 'c.json') as LlamaConfig;
    const model = createModel(config, 'causal-lm', { seed: 1 });
    expect(model.parameters.has('lm_head.weight')).toBe(false);
    const rows = model.parameters.get('model.embed_tokens.weight')!.arraySync() as number[][];
    expect(rows[3].every((v) => v === 0)).toBe(true);
    expect(rows[4].some((v) => v !== 0)).toBe(true);
    expect(Array.from(model.parameters.get('model.layers.0.input_layernorm.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(model.isDecayed('model.layers.0.mlp.up_proj.weight')).toBe(true);
    expect(model.isDecayed('model.norm.weight')).toBe(false);
    expect(model.isDecayed('model.layers.0.post_attention_layernorm.weight')).toBe(false);
    model.dispose();
  });

  it("RoPE frequencies: theta^(-2i/d); linear divides by factor; dynamic raises theta only past max_position_embeddings", () => {
    const config = (scaling: unknown) => parseModelConfig({ model_type: 'llama', hidden_size: 16, num_attention_heads: 2, max_position_embeddings: 8, rope_theta: 100, rope_scaling: scaling }, 'c.json') as LlamaConfig;
    expect(Array.from(inverseFrequencies(config(null), 8, 4))).toEqual([1, 100 ** -0.25, 100 ** -0.5, 100 ** -0.75]);
    expect(Array.from(inverseFrequencies(config({ type: 'linear', factor: 4 }), 8, 4))).toEqual([0.25, 100 ** -0.25 / 4, 100 ** -0.5 / 4, 100 ** -0.75 / 4]);
    const dynamic = config({ rope_type: 'dynamic', factor: 2 });
    expect(Array.from(inverseFrequencies(dynamic, 8, 8))).toEqual(Array.from(inverseFrequencies(config(null), 8, 8)));
    const theta = 100 * ((2 * 16) / 8 - 1) ** (8 / 6);
    inverseFrequencies(dynamic, 8, 16).forEach((f, i) => expect(f).toBeCloseTo(theta ** (-(2 * i) / 8), 12));
  });
});
