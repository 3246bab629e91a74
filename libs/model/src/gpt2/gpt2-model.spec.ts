import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { IGNORE_INDEX } from '@tunefleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../checkpoint/index.ts';
import { parseModelConfig, type Gpt2Config } from '../config/index.ts';
import { readGenerationConfig } from '../generation/generation-config.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { shiftedLabels } from '../layers/causal-lm-loss.ts';
import { createModel, loadPretrained } from '../pretrained.ts';
import { readBatch } from '../test-support.ts';
import type { Gpt2LMHeadModel } from './gpt2-model.ts';

const GOLDEN = join(FIXTURES_DIR, 'golden-gpt2', 'causal-lm');
let work: string;

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  work = await mkdtemp(join(tmpdir(), 'tunefleet-gpt2-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const logitsOf = async (dir: string) => {
  const { model } = await loadPretrained(dir, { task: 'causal-lm' });
  const batch = await readBatch(join(GOLDEN, 'inputs.json'));
  const logits = tf.tidy(() => Array.from(model.forward(batch, { training: false }).dataSync()));
  model.dispose();
  return logits;
};

describe('GPT2LMHeadModel', () => {
  it('the loss shifts labels inside: position t is scored on label t + 1, the last position and -100 take none', () => {
    const batch = { batchSize: 2, seqLength: 3, inputIds: Int32Array.from([5, 6, 7, 8, 9, 1]), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 0]), tokenTypeIds: new Int32Array(6) };
    expect(Array.from(shiftedLabels(batch))).toEqual([6, 7, IGNORE_INDEX, 9, IGNORE_INDEX, IGNORE_INDEX]);
    expect(Array.from(shiftedLabels({ ...batch, labels: Int32Array.from([5, IGNORE_INDEX, 7, 8, 9, 1]) }))).toEqual([IGNORE_INDEX, 7, IGNORE_INDEX, 9, 1, IGNORE_INDEX]);
  });

  it('saves config.json, generation_config.json and weights; sharded above max_shard_size, loading either gives the same logits', async () => {
    const { model } = await loadPretrained(GOLDEN, { task: 'causal-lm' });
    await model.save(join(work, 'single'));
    await (model as Gpt2LMHeadModel).save(join(work, 'sharded'), {}, { maxShardBytes: 40_000 });
    model.dispose();
    const config = JSON.parse(await readFile(join(work, 'single', 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: 32, tie_word_embeddings: true });
    expect(await readGenerationConfig(join(work, 'single'), {})).toMatchObject({ bos_token_id: 60, eos_token_id: 60, do_sample: false });
    const single = await readSafetensors(join(work, 'single', 'model.safetensors'));
    expect(single.tensors.has('lm_head.weight')).toBe(false); // tied: transformers ties it back to wte
    const files = (await readdir(join(work, 'sharded'))).sort();
    expect(files.filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(1);
    expect(files).not.toContain('model.safetensors');
    const index = JSON.parse(await readFile(join(work, 'sharded', 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe([...single.tensors.values()].reduce((sum, t) => sum + t.data.length * 4, 0));
    expect(Object.keys(index.weight_map).length).toBe(single.tensors.size);
    const reference = await logitsOf(GOLDEN);
    expect(await logitsOf(join(work, 'single'))).toEqual(reference);
    expect(await logitsOf(join(work, 'sharded'))).toEqual(reference);
    // Saving small again over the sharded directory removes the stale shards and index.
    const { model: again } = await loadPretrained(join(work, 'sharded'), { task: 'causal-lm' });
    await again.save(join(work, 'sharded'));
    again.dispose();
    expect((await readdir(join(work, 'sharded'))).filter((f) => f.includes('safetensors')).sort()).toEqual(['model.safetensors']);
  });

  it("loads a base GPT2Model checkpoint (the hub's gpt2 layout: no transformer. prefix, attn.bias buffers)", async () => {
    const dir = join(work, 'hub-layout');
    await mkdir(dir, { recursive: true });
    await copyFile(join(GOLDEN, 'config.json'), join(dir, 'config.json'));
    const { tensors } = await readSafetensors(join(GOLDEN, 'model.safetensors'));
    const renamed = new Map([...tensors].map(([name, t]) => [name.replace(/^transformer\./, ''), t]));
    renamed.set('h.0.attn.bias', { shape: [1, 1, 16, 16], data: new Float32Array(256).fill(1) });
    renamed.set('h.1.attn.masked_bias', { shape: [], data: Float32Array.from([-1e4]) });
    await writeSafetensors(join(dir, 'model.safetensors'), renamed);
    const lines: string[] = [];
    const { report, model } = await loadPretrained(dir, { task: 'causal-lm', log: (line) => lines.push(line) });
    model.dispose();
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    expect(lines).toEqual([]);
    expect(await logitsOf(dir)).toEqual(await logitsOf(GOLDEN));
  });

  it("initialises as GPT2PreTrainedModel: c_proj weights at initializer_range / sqrt(2 n_layer), LayerNorm ones/zeros; weight decay skips biases and norms", () => {
    const config = parseModelConfig({ model_type: 'gpt2', vocab_size: 50, n_positions: 8, n_embd: 64, n_layer: 8, n_head: 4 }, 'c.json') as Gpt2Config;
    const model = createModel(config, 'causal-lm', { seed: 3 });
    const std = (name: string) => {
      const values = Array.from(model.parameters.get(name)!.dataSync());
      return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    };
    expect(std('transformer.h.0.mlp.c_fc.weight')).toBeCloseTo(0.02, 2);
    expect(std('transformer.h.0.attn.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(std('transformer.h.0.mlp.c_proj.weight')).toBeCloseTo(0.02 / 4, 3);
    expect(Array.from(model.parameters.get('transformer.ln_f.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(model.isDecayed('transformer.h.0.attn.c_attn.weight')).toBe(true);
    expect(model.isDecayed('transformer.h.0.attn.c_attn.bias')).toBe(false);
    expect(model.isDecayed('transformer.h.1.ln_2.weight')).toBe(false);
    expect(model.isDecayed('transformer.ln_f.weight')).toBe(false);
    const batch = { batchSize: 1, seqLength: 9, inputIds: new Int32Array(9), attentionMask: new Int32Array(9).fill(1), tokenTypeIds: new Int32Array(9) };
    expect(() => model.forward(batch, { training: false })).toThrow(/seqLength 9 exceeds n_positions 8/);
    expect(() => model.forward({ ...batch, seqLength: 1, inputIds: Int32Array.from([50]), attentionMask: Int32Array.from([1]), tokenTypeIds: new Int32Array(1) }, { training: false })).toThrow(
      expect.objectContaining({ code: 'BATCH_VALUE', message: expect.stringContaining('= 50 is outside [0, 50) (vocab_size)') }),
    );
    model.dispose();
  });

  it('training mode drops out reproducibly for a seed; the cache after the prompt continues exactly as the full sequence', async () => {
    const { model } = await loadPretrained(GOLDEN, { task: 'causal-lm' });
    const gpt2 = model as Gpt2LMHeadModel;
    const batch = await readBatch(join(GOLDEN, 'inputs.json'));
    const run = (seed: number) => tf.tidy(() => Array.from(gpt2.forward(batch, { training: true, dropoutSeed: seed }).dataSync()));
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const ids = Int32Array.from([60, 12, 7, 33, 41]);
    const full = gpt2.decode({ batchSize: 1, seqLength: 5, inputIds: ids });
    const head = gpt2.decode({ batchSize: 1, seqLength: 3, inputIds: ids.slice(0, 3) });
    const tail = gpt2.decode({ batchSize: 1, seqLength: 2, inputIds: ids.slice(3), cache: head.cache });
    const last = (t: tf.Tensor3D, from: number) => tf.tidy(() => Array.from(tf.slice(t, [0, from, 0], [1, 2, 61]).dataSync()));
    const expected = last(full.logits, 3);
    last(tail.logits, 0).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
    expect(tail.cache.length).toBe(5);
    expect(() => gpt2.decode({ batchSize: 1, seqLength: 14, inputIds: new Int32Array(14), cache: tail.cache })).toThrow(/cached 5 \+ new 14 positions exceeds n_positions 16/);
    tf.dispose([full.logits, head.logits, tail.logits]);
    for (const c of [full.cache, head.cache, tail.cache]) for (const l of c.layers) tf.dispose([l.key, l.value]);
    model.dispose();
  });

  it('a task GPT-2 has no head for is MODEL_TASK_UNSUPPORTED, and BERT has no causal-lm head', async () => {
    await expect(loadPretrained(GOLDEN, { task: 'sequence-classification' })).rejects.toThrow(
      expect.objectContaining({ code: 'MODEL_TASK_UNSUPPORTED', message: 'model_type "gpt2" has no sequence-classification head; its tasks: causal-lm' }),
    );
    const bert = parseModelConfig({ model_type: 'bert', vocab_size: 10, hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 1, intermediate_size: 8 }, 'b.json');
    expect(() => createModel(bert, 'causal-lm')).toThrow(/model_type "bert" has no causal-lm head/);
  });

  it('config.json: GPT-2 fields validated with their own names, every problem at once', async () => {
    expect(() => parseModelConfig({ model_type: 'gpt2', n_embd: 30, n_head: 4, activation_function: 'swish', pad_token_id: 70, vocab_size: 60 }, 'g.json')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        issues: expect.arrayContaining([expect.objectContaining({ path: 'activation_function' }), expect.objectContaining({ path: 'n_embd' }), expect.objectContaining({ path: 'pad_token_id' })]),
      }),
    );
    expect(parseModelConfig({ architectures: ['GPT2LMHeadModel'] }, 'g.json')).toMatchObject({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024 });
  });
});
