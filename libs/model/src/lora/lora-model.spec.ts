import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { errorCode } from '@tunefleet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { maxAbsDiff, readBatch } from '../test-support.ts';
import { applyLora } from './lora-model.ts';

const GPT2 = join(FIXTURES_DIR, 'golden-gpt2/causal-lm');
const LLAMA = join(FIXTURES_DIR, 'golden-llama/bias/causal-lm'); // Qwen2: model_type qwen2

async function load(dir: string): Promise<CausalLanguageModel> {
  return (await loadPretrained(dir, { task: 'causal-lm' })).model as CausalLanguageModel;
}

describe('applyLora (PEFT get_peft_model semantics)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it("defaults to PEFT's target modules per family: gpt2 c_attn, qwen2 q_proj and v_proj", async () => {
    const gpt2 = applyLora(await load(GPT2));
    expect([...gpt2.parameters.keys()]).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    // Conv1D c_attn: weight [32, 96] is [in, out], so lora_A [r, 32] and lora_B [96, r].
    expect(gpt2.parameters.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([8, 32]);
    expect(gpt2.parameters.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([96, 8]);
    gpt2.dispose();
    const qwen = applyLora(await load(LLAMA), { r: 2 });
    expect([...qwen.parameters.keys()].map((k) => k.replace('base_model.model.model.layers.', ''))).toEqual([
      '0.self_attn.q_proj.lora_A.weight',
      '0.self_attn.q_proj.lora_B.weight',
      '0.self_attn.v_proj.lora_A.weight',
      '0.self_attn.v_proj.lora_B.weight',
      '1.self_attn.q_proj.lora_A.weight',
      '1.self_attn.q_proj.lora_B.weight',
      '1.self_attn.v_proj.lora_A.weight',
      '1.self_attn.v_proj.lora_B.weight',
    ]);
    // One key/value head of 8: v_proj's output is 8 wide.
    expect(qwen.parameters.get('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight')!.shape).toEqual([8, 2]);
    qwen.dispose();
  });

  it('starts as PEFT does: lora_A kaiming-uniform within 1/sqrt(in), lora_B zeros, so the logits are the base model\'s', async () => {
    const batch = await readBatch(join(GPT2, 'inputs.json'));
    const base = await load(GPT2);
    const plain = base.forward(batch, { training: false });
    const expected = plain.dataSync() as Float32Array;
    plain.dispose();
    const lora = applyLora(base, { r: 4, loraAlpha: 16, seed: 7 });
    const a = lora.parameters.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.dataSync();
    const bound = 1 / Math.sqrt(32);
    expect(Math.max(...Array.from(a, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(0.8 * bound); // uniform over the whole range, not a narrow normal
    expect(Array.from(lora.parameters.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(lora.adapters.scaling).toBe(4); // lora_alpha / r
    const logits = lora.forward(batch, { training: false });
    expect(maxAbsDiff(logits.dataSync(), expected).diff).toBe(0);
    logits.dispose();
    // The same seed draws the same lora_A on every rank.
    const again = applyLora(await load(GPT2), { r: 4, loraAlpha: 16, seed: 7 });
    expect(Array.from(again.parameters.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.dataSync())).toEqual(Array.from(a));
    again.dispose();
    lora.dispose();
  });

  it('trains only the adapters: variableGrads over parameters differentiates no base weight, dropout is seeded', async () => {
    const batch = await readBatch(join(GPT2, 'inputs.json'));
    const lora = applyLora(await load(GPT2), { r: 2, loraDropout: 0.5, targetModules: ['c_fc'] });
    const before = tf.memory().numTensors;
    const step = (seed: number) =>
      tf.variableGrads(() => lora.loss(lora.forward(batch, { training: true, dropoutSeed: seed }), batch), [...lora.parameters.values()]);
    const one = step(3);
    const two = step(3);
    expect(Object.keys(one.grads)).toHaveLength(4);
    const first = Object.values(one.grads).map((g) => Array.from(g.dataSync()));
    expect(Object.values(two.grads).map((g) => Array.from(g.dataSync()))).toEqual(first);
    expect(first.some((g) => g.some((v) => v !== 0))).toBe(true); // lora_B gets a gradient although it starts at zero
    tf.dispose([one.value, two.value, ...Object.values(one.grads), ...Object.values(two.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    lora.dispose();
  });

  it('a target module the model does not have fails listing the modules it has', async () => {
    const model = await load(LLAMA);
    let caught: unknown;
    try {
      applyLora(model, { targetModules: ['q_proj', 'query'] });
    } catch (error) {
      caught = error;
    }
    expect(errorCode(caught)).toBe('LORA_TARGET_NOT_FOUND');
    expect((caught as Error).message).toMatch(/"query" not found; Qwen2ForCausalLM has these linear modules: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj/);
    expect(() => applyLora(model, { targetModules: '.*\\.nothing' })).toThrow(/matches no module/);
    model.dispose();
  });

  it('a regex or all-linear selects as PEFT does', async () => {
    const model = await load(GPT2);
    const lora = applyLora(model, { targetModules: String.raw`transformer\.h\.1\.mlp\..*` });
    expect([...lora.parameters.keys()].map((k) => k.replace(/^base_model\.model\.|\.lora_[AB]\.weight$/g, ''))).toEqual([
      'transformer.h.1.mlp.c_fc',
      'transformer.h.1.mlp.c_fc',
      'transformer.h.1.mlp.c_proj',
      'transformer.h.1.mlp.c_proj',
    ]);
    lora.dispose();
    const all = applyLora(await load(GPT2), { targetModules: 'all-linear' });
    expect(all.parameters.size).toBe(2 * 2 * 4); // 2 layers x (c_attn, attn.c_proj, c_fc, mlp.c_proj) x (A, B)
    all.dispose();
  });
});
