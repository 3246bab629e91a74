import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../config/index.ts';
import { createModel } from '../pretrained.ts';
import { availableBackends, maxAbsDiff } from '../test-support.ts';
import type { ModelBatch, ModelTask } from '../trainable.ts';

/**
 * The 'native' backend runs the model through fused kernels (attention, LayerNorm, GELU, dense with
 * BLAS transposes); cpu runs the composed tfjs ops. In TRAINING mode (dropout on, seeded) both must
 * drop the same elements and agree, within the golden parity tolerances, on logits, loss and every
 * gradient. (golden-parity.spec.ts covers evaluation mode against PyTorch.)
 */
const LOGITS_ABS = 1e-4;
const GRAD_REL = 1e-3;
const GRAD_ABS = 1e-6;

const config = parseBertConfig(
  {
    vocab_size: 50,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 37,
    max_position_embeddings: 16,
    id2label: { 0: 'a', 1: 'b', 2: 'c' },
  },
  '<test>',
);

const batch: ModelBatch = {
  batchSize: 3,
  seqLength: 6,
  inputIds: Int32Array.from([1, 7, 9, 2, 0, 0, 1, 8, 2, 0, 0, 0, 1, 4, 5, 6, 3, 2]),
  attentionMask: Int32Array.from([1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1]),
  tokenTypeIds: Int32Array.from([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]),
};
const labels: Record<ModelTask, Int32Array> = {
  'sequence-classification': Int32Array.from([0, 2, 1]),
  'token-classification': Int32Array.from([0, 1, 2, 1, -100, -100, 2, 2, 0, -100, -100, -100, 1, 0, 2, 1, 0, 2]),
  'masked-lm': Int32Array.from([-100, 7, -100, -100, -100, -100, -100, -100, 2, -100, -100, -100, 1, -100, -100, 6, -100, 2]),
};

const hasNative = (await availableBackends()).includes('native');

async function trainingStep(backend: 'cpu' | 'native', task: ModelTask) {
  await initBackend({ backend });
  const model = createModel(config, task, { seed: 3 });
  const withLabels = { ...batch, labels: labels[task] };
  const variables = [...model.parameters.values()];
  let logits: Float32Array | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(withLabels, { training: true, dropoutSeed: 11 });
    logits = out.dataSync() as Float32Array;
    return model.loss(out, withLabels);
  }, variables);
  const result = {
    logits: Float32Array.from(logits!),
    loss: value.dataSync()[0],
    grads: new Map([...model.parameters.keys()].map((name, i) => [name, Float32Array.from(grads[variables[i].name].dataSync())])),
  };
  tf.dispose([value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

describe.skipIf(!hasNative)('native fused kernels vs composed ops, training mode', () => {
  for (const task of ['sequence-classification', 'token-classification', 'masked-lm'] as const) {
    it(`${task}: logits, loss and every gradient agree with dropout on`, async () => {
      const expected = await trainingStep('cpu', task);
      const actual = await trainingStep('native', task);
      expect(maxAbsDiff(actual.logits, expected.logits).diff).toBeLessThanOrEqual(LOGITS_ABS);
      expect(Math.abs(actual.loss - expected.loss)).toBeLessThanOrEqual(LOGITS_ABS);
      const failures: string[] = [];
      for (const [name, ref] of expected.grads) {
        const { diff, scale } = maxAbsDiff(actual.grads.get(name)!, ref);
        if (!(diff <= GRAD_REL * scale + GRAD_ABS)) failures.push(`${name}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
      }
      expect(failures).toEqual([]);
      expect(actual.grads.size).toBe(expected.grads.size);
      // Dropout really ran: a different seed gives different logits.
      await initBackend({ backend: 'native' });
      const model = createModel(config, task, { seed: 3 });
      const other = tf.tidy(() => Float32Array.from(model.forward(batch, { training: true, dropoutSeed: 12 }).dataSync()));
      model.dispose();
      expect(maxAbsDiff(other, actual.logits).diff).toBeGreaterThan(1e-4);
    });
  }
});
