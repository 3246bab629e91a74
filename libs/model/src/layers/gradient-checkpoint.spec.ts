import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { describe, expect, it } from 'vitest';
import { applyLora } from '../lora/lora-model.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { availableBackends, maxAbsDiff, readBatch } from '../test-support.ts';
import type { TrainableModel } from '../trainable.ts';
import { FIXTURES_DIR } from './golden-check.ts';
import { supportsGradientCheckpointing } from './gradient-checkpoint.ts';

const backends = await availableBackends();
// GPT-2's fixture keeps dropout 0.1 in its config: the recomputation must draw the same masks.
const MODELS = { gpt2: 'golden-gpt2/causal-lm', llama: 'golden-llama/gqa/causal-lm', qwen2: 'golden-llama/bias/causal-lm' } as const;

/** Loss and every trainable gradient of one training step (dropout seeded). */
function step(model: TrainableModel, batch: Awaited<ReturnType<typeof readBatch>>): { loss: number; grads: Map<string, Float32Array> } {
  const names = [...model.parameters.keys()];
  const variables = [...model.parameters.values()];
  const { value, grads } = tf.variableGrads(() => model.loss(model.forward(batch, { training: true, dropoutSeed: 11 }), batch), variables);
  const out = new Map(names.map((name, i) => [name, grads[variables[i]!.name]!.dataSync() as Float32Array]));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

function expectSameGradients(actual: ReturnType<typeof step>, expected: ReturnType<typeof step>): void {
  expect(actual.loss).toBeCloseTo(expected.loss, 6);
  const failures: string[] = [];
  for (const [name, reference] of expected.grads) {
    const { diff, scale } = maxAbsDiff(actual.grads.get(name)!, reference);
    if (!(diff <= 1e-6 * scale + 1e-9)) failures.push(`${name}: ${diff.toExponential(2)} of ${scale.toExponential(2)}`);
  }
  expect(failures).toEqual([]);
  expect(actual.grads.size).toBe(expected.grads.size);
}

describe('gradient checkpointing (TrainingArguments.gradient_checkpointing): layers recomputed in backward', () => {
  for (const backend of backends) {
    for (const [name, fixture] of Object.entries(MODELS)) {
      it(`${name} on ${backend}: every gradient equals the one without it (1e-6 relative), no tensor leaks`, async () => {
        await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
        const dir = join(FIXTURES_DIR, fixture);
        const batch = await readBatch(join(dir, 'inputs.json'));
        const model = (await loadPretrained(dir, { task: 'causal-lm' })).model as CausalLanguageModel;
        expect(supportsGradientCheckpointing(model)).toBe(true);
        const plain = step(model, batch);
        model.gradientCheckpointing = true;
        const before = tf.memory().numTensors;
        const checkpointed = step(model, batch);
        expect(tf.memory().numTensors).toBe(before);
        expectSameGradients(checkpointed, plain);
        model.dispose();
      });
    }
  }

  it('with LoRA on (frozen base): the adapter gradients are the same with and without it', async () => {
    await initBackend({ backend: 'cpu' });
    const dir = join(FIXTURES_DIR, MODELS.gpt2);
    const batch = await readBatch(join(dir, 'inputs.json'));
    const lora = applyLora((await loadPretrained(dir, { task: 'causal-lm' })).model, { r: 2, loraDropout: 0.2, targetModules: ['c_attn', 'c_fc'], seed: 1 });
    // Move lora_B off zero so lora_A's gradient is not trivially zero.
    for (const [key, variable] of lora.parameters) if (key.includes('lora_B')) variable.assign(tf.randomNormal(variable.shape, 0, 0.2, 'float32', 5));
    // Each adapted module's forward is counted: recomputation in backward runs every layer a second time.
    let calls = 0;
    const adapt = lora.adapters.adapt.bind(lora.adapters);
    lora.adapters.adapt = (...args) => (calls++, adapt(...args));
    const plain = step(lora, batch);
    expect(calls).toBe(8); // 2 layers x 4 Conv1D modules (each passes the hook)
    lora.gradientCheckpointing = true;
    expect(lora.base.gradientCheckpointing).toBe(true);
    calls = 0;
    expectSameGradients(step(lora, batch), plain);
    expect(calls).toBe(16);
    lora.dispose();
  });

  it('evaluation and cached decoding are unchanged with it on', async () => {
    await initBackend({ backend: 'cpu' });
    const dir = join(FIXTURES_DIR, MODELS.llama);
    const batch = await readBatch(join(dir, 'inputs.json'));
    const model = (await loadPretrained(dir, { task: 'causal-lm' })).model as CausalLanguageModel;
    const off = model.forward(batch, { training: false });
    model.gradientCheckpointing = true;
    const on = model.forward(batch, { training: false });
    expect(maxAbsDiff(on.dataSync(), off.dataSync()).diff).toBe(0);
    const { logits, cache } = model.decode({ batchSize: 1, seqLength: 3, inputIds: Int32Array.from([1, 9, 44]) });
    expect(cache.layers).toHaveLength(2);
    tf.dispose([off, on, logits, ...cache.layers.flatMap((l) => [l.key, l.value])]);
    model.dispose();
  });
});
