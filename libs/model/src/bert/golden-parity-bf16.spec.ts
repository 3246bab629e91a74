// Golden parity in bf16 mixed precision (--bf16): the float64 PyTorch fixtures of
// golden-parity (libs/model/fixtures/golden) against tunefleet with every matrix product in bf16.
//
// Tolerances, and why. bf16 keeps 8 significant bits: rounding an input costs at most 2^-9 = 0.2%
// relative, so one product term is off by <= ~2^-8 and a k-term dot product with terms of mixed
// sign by ~2^-9 * sqrt(k) of its terms' scale, i.e. a few 1e-3 of the output's scale per product.
// Two layers of products, with LayerNorm renormalising in float32 between them, keep the logits
// within 2e-2 of max |logits| (measured: 2.5e-3 and 8.5e-3 for the two heads). A gradient passes through twice as many
// products as the logits (forward and backward) and is a difference of nearly equal terms where a
// weight barely matters, so every parameter gradient is held to 5e-2 of its tensor's max |ref|
// (measured: 1.8e-2 and 1.4e-2 at the worst tensor). float32 parity (golden-parity's 1e-4 / 1e-3) is ~100x tighter.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setComputePrecision } from '@tunefleet/compute';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../checkpoint/index.ts';
import { loadPretrained } from '../pretrained.ts';
import { GOLDEN_DIR, maxAbsDiff, readBatch } from '../test-support.ts';
import type { ModelTask } from '../trainable.ts';

const LOGITS_REL = 2e-2;
const GRAD_REL = 5e-2;

const native = await initBackend({ backend: 'native' }).then(
  () => undefined,
  (error: Error) => error.message,
);
const skipReason = native === undefined ? '' : ` [SKIPPED: ${native}]`;

afterAll(() => {
  if (native === undefined) setComputePrecision('fp32');
});

/** Logits, loss and every gradient of the golden fixture for `task`, with the products in `precision`. */
async function run(task: ModelTask, precision: 'fp32' | 'bf16') {
  setComputePrecision(precision);
  const dir = join(GOLDEN_DIR, task);
  const { model } = await loadPretrained(dir, { task });
  const batch = await readBatch(join(dir, 'inputs.json'));
  const variables = [...model.parameters.values()];
  let logits: Float32Array | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(batch, { training: false });
    logits = out.dataSync() as Float32Array;
    return model.loss(out, batch);
  }, variables);
  const gradients = new Map([...model.parameters.keys()].map((name, i) => [name, grads[variables[i].name].dataSync() as Float32Array]));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return { logits: logits!, loss, gradients, expected: (await readSafetensors(join(dir, 'expected.safetensors'))).tensors };
}

describe.skipIf(native !== undefined)(`golden parity with bf16 matrix products${skipReason}`, () => {
  for (const task of ['sequence-classification', 'token-classification'] as const) {
    it(`${task}: logits within ${LOGITS_REL} and every gradient within ${GRAD_REL} of max |ref|`, async () => {
      const fp32 = await run(task, 'fp32');
      const bf16 = await run(task, 'bf16');
      const refLogits = bf16.expected.get('logits')!.data;
      const logits = maxAbsDiff(bf16.logits, refLogits);
      expect(logits.diff).toBeLessThanOrEqual(LOGITS_REL * logits.scale);
      // The products really ran in bf16: far from float32's 1e-4 agreement, but not from the reference.
      expect(maxAbsDiff(bf16.logits, fp32.logits).diff).toBeGreaterThan(1e-5 * logits.scale);
      const refLoss = bf16.expected.get('loss')!.data[0];
      expect(Math.abs(bf16.loss - refLoss)).toBeLessThanOrEqual(LOGITS_REL * Math.abs(refLoss));
      const failures: string[] = [];
      let worst = 0;
      for (const [name, gradient] of bf16.gradients) {
        const { diff, scale } = maxAbsDiff(gradient, bf16.expected.get(`grad.${name}`)!.data);
        if (scale > 1e-6) worst = Math.max(worst, diff / scale); // (all-but-zero reference gradients are held by the 1e-6 floor)
        if (!(diff <= GRAD_REL * scale + 1e-6)) failures.push(`${name}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
      console.log(`${task} bf16: logits ${(logits.diff / logits.scale).toExponential(2)} of max |ref|, worst gradient ${worst.toExponential(2)}`);
    });
  }
});
