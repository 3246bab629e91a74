import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from './checkpoint/index.ts';
import { loadPretrained } from './pretrained.ts';
import { availableBackends, GOLDEN_DIR, maxAbsDiff, readBatch } from './test-support.ts';
import type { ModelTask } from './trainable.ts';

/**
 * Parity with the float64 PyTorch reference (tools/reference/bert_reference.py), dropout off.
 * Criteria: logits and loss max|a - b| <= 1e-4; for EVERY parameter gradient,
 * max|a - b| <= 1e-3 * max|ref| + 1e-6 over the tensor.
 */
const LOGITS_ABS = 1e-4;
const GRAD_REL = 1e-3;
const GRAD_ABS = 1e-6;

const backends = await availableBackends();
const tasks: ModelTask[] = ['sequence-classification', 'token-classification'];

for (const backend of backends) {
  for (const task of tasks) {
    describe(`golden parity: ${task} on ${backend}`, () => {
      it('logits, loss and every parameter gradient match the reference', async () => {
        await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
        expect(tf.getBackend()).toBe(backend);
        const dir = join(GOLDEN_DIR, task);
        const { model } = await loadPretrained(dir, { task });
        const batch = await readBatch(join(dir, 'inputs.json'));
        const expected = (await readSafetensors(join(dir, 'expected.safetensors'))).tensors;

        const names = [...model.parameters.keys()];
        const variables = [...model.parameters.values()];
        let logits: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = model.forward(batch, { training: false });
          logits = tf.keep(out);
          return model.loss(out, batch);
        }, variables);

        const refLogits = expected.get('logits')!;
        expect(logits!.shape).toEqual(refLogits.shape);
        expect(maxAbsDiff(logits!.dataSync(), refLogits.data).diff).toBeLessThanOrEqual(LOGITS_ABS);
        expect(Math.abs(value.dataSync()[0] - expected.get('loss')!.data[0])).toBeLessThanOrEqual(LOGITS_ABS);

        const failures: string[] = [];
        names.forEach((name, i) => {
          const ref = expected.get(`grad.${name}`);
          if (ref === undefined) {
            failures.push(`${name}: no reference gradient`);
            return;
          }
          const grad = grads[variables[i].name];
          const { diff, scale } = maxAbsDiff(grad.dataSync(), ref.data);
          if (!(diff <= GRAD_REL * scale + GRAD_ABS)) failures.push(`${name}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
        });
        expect(failures).toEqual([]);
        expect(names.length).toBe([...expected.keys()].filter((k) => k.startsWith('grad.')).length);
        tf.dispose([logits!, value, ...Object.values(grads)]);
        model.dispose();
      });
    });
  }
}
