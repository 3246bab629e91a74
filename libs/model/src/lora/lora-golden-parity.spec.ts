import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../checkpoint/index.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import type { CausalLanguageModel } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { availableBackends, maxAbsDiff, readBatch } from '../test-support.ts';
import type { ModelBatch } from '../trainable.ts';
import { loadAdapter, mergeAndUnload } from './lora-model.ts';

// Fixtures: /usr/bin/python3 tools/reference/lora_reference.py generate --out libs/model/fixtures/golden-lora
// Tolerances of the other golden specs: logits and loss 1e-4 absolute; each adapter gradient 1e-3 x max|ref| + 1e-6.
const LOGITS_ABS = 1e-4;
const GRAD_REL = 1e-3;
const GRAD_ABS = 1e-6;
const backends = await availableBackends();
const CASES = {
  gpt2: 'GPT-2, Conv1D c_attn and both c_proj (fan_in_fan_out), r 4',
  llama: 'Llama with grouped-query attention, q_proj, v_proj (narrower than q) and down_proj, r 2',
} as const;

async function caseDirs(name: string): Promise<{ base: string; adapter: string; dir: string }> {
  const dir = join(FIXTURES_DIR, 'golden-lora', name);
  const { base } = JSON.parse(await readFile(join(dir, 'base.json'), 'utf8')) as { base: string };
  return { base: join(FIXTURES_DIR, base), adapter: join(dir, 'adapter'), dir };
}

async function loadBase(dir: string): Promise<CausalLanguageModel> {
  return (await loadPretrained(dir, { task: 'causal-lm' })).model as CausalLanguageModel;
}

function logitsOf(model: { forward: CausalLanguageModel['forward'] }, batch: ModelBatch): Float32Array {
  const logits = model.forward(batch, { training: false });
  const values = logits.dataSync() as Float32Array;
  logits.dispose();
  return values;
}

for (const [name, what] of Object.entries(CASES)) {
  describe(`LoRA golden parity, ${name}: ${what} (tools/reference/lora_reference.py)`, () => {
    for (const backend of backends) {
      it(`on ${backend}: logits, loss and every adapter gradient match the reference; the base gets none`, async () => {
        await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
        const { base, adapter, dir } = await caseDirs(name);
        const lora = await loadAdapter(await loadBase(base), adapter);
        const batch = await readBatch(join(dir, 'inputs.json'));
        const expected = (await readSafetensors(join(dir, 'expected.safetensors'))).tensors;
        const names = [...lora.parameters.keys()];
        expect(names.every((n) => /^base_model\.model\..+\.lora_[AB]\.weight$/.test(n))).toBe(true);
        expect(names.length).toBe([...expected.keys()].filter((k) => k.startsWith('grad.')).length);
        const variables = [...lora.parameters.values()];
        let logits: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = lora.forward(batch, { training: false });
          logits = tf.keep(out);
          return lora.loss(out, batch);
        }, variables);
        expect(maxAbsDiff(logits!.dataSync(), expected.get('logits')!.data).diff).toBeLessThanOrEqual(LOGITS_ABS);
        expect(Math.abs(value.dataSync()[0]! - expected.get('loss')!.data[0]!)).toBeLessThanOrEqual(LOGITS_ABS);
        const failures: string[] = [];
        names.forEach((key, i) => {
          const ref = expected.get(`grad.${key}`);
          if (ref === undefined) return void failures.push(`${key}: no reference gradient`);
          const { diff, scale } = maxAbsDiff(grads[variables[i]!.name]!.dataSync(), ref.data);
          if (!(diff <= GRAD_REL * scale + GRAD_ABS)) failures.push(`${key}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
        });
        expect(failures).toEqual([]);
        expect(Object.keys(grads).length).toBe(variables.length); // no base weight was differentiated
        expect([...lora.base.parameters.values()].every((v) => !v.trainable)).toBe(true);
        tf.dispose([logits!, value, ...Object.values(grads)]);
        lora.dispose();
      });
    }

    describe('save, load and merge', () => {
      let out: string;
      beforeAll(async () => {
        await initBackend({ backend: 'cpu' });
        out = await mkdtemp(join(tmpdir(), `lora-${name}-`));
      });
      afterAll(async () => rm(out, { recursive: true, force: true }));

      it('round trip: save writes PEFT files and keys; loading them on a fresh base gives the same logits', async () => {
        const { base, adapter, dir } = await caseDirs(name);
        const batch = await readBatch(join(dir, 'inputs.json'));
        const first = await loadAdapter(await loadBase(base), adapter);
        const before = logitsOf(first, batch);
        await first.save(join(out, 'saved'));
        const saved = JSON.parse(await readFile(join(out, 'saved', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
        const original = JSON.parse(await readFile(join(adapter, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
        expect(saved).toEqual(original); // the reference writes PEFT's LoraConfig.to_dict() fields
        const written = (await readSafetensors(join(out, 'saved', 'adapter_model.safetensors'))).tensors;
        const reference = (await readSafetensors(join(adapter, 'adapter_model.safetensors'))).tensors;
        expect([...written.keys()]).toEqual([...reference.keys()]);
        first.dispose();
        const second = await loadAdapter(await loadBase(base), join(out, 'saved'));
        expect(maxAbsDiff(logitsOf(second, batch), before).diff).toBe(0);
        second.dispose();
      });

      it('merge: the merged base alone computes the adapted logits (1e-5), and saves as a plain model that loads so', async () => {
        const { base, adapter, dir } = await caseDirs(name);
        const batch = await readBatch(join(dir, 'inputs.json'));
        const lora = await loadAdapter(await loadBase(base), adapter);
        const adapted = logitsOf(lora, batch);
        const plain = await loadBase(base);
        expect(maxAbsDiff(logitsOf(plain, batch), adapted).diff).toBeGreaterThan(1e-3); // the adapter changes the model
        plain.dispose();
        const merged = mergeAndUnload(lora);
        expect(merged.adapter).toBeUndefined();
        expect(maxAbsDiff(logitsOf(merged, batch), adapted).diff).toBeLessThanOrEqual(1e-5);
        await merged.save(join(out, 'merged'));
        merged.dispose();
        const reloaded = await loadBase(join(out, 'merged'));
        expect(maxAbsDiff(logitsOf(reloaded, batch), adapted).diff).toBeLessThanOrEqual(1e-5);
        reloaded.dispose();
      });
    });
  });
}
