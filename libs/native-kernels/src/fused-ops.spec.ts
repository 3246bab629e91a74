import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { addLayerNorm, gelu, layerNorm, tryRegisterNativeBackend } from './index.ts';
import { expectClose, randomValues, runOn, sizeOf } from './test-support.ts';

const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.mul(tf.tensor(randomValues(sizeOf(shape), seed), shape), scale);
}

/** Values and gradients of the fused op on native against the composed tfjs ops on cpu. */
async function compareWithGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], weights: () => tf.Tensor) {
  const run = () => {
    const xs = inputs();
    const loss = (...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), weights()));
    return [f(...xs), ...tf.grads(loss)(xs)];
  };
  const expected = await runOn('cpu', run);
  const actual = await runOn('native', run);
  expect(actual.shapes).toEqual(expected.shapes);
  actual.values.forEach((v, i) => expectClose(v, expected.values[i], 2e-4, 2e-5));
}

describe.skipIf(!registration.ok)(`fused ops${skipReason}`, () => {
  it('layerNorm and its gradients match the composed ops (rows split across threads)', async () => {
    await compareWithGrads(
      (x, w, b) => layerNorm(x, w as tf.Tensor1D, b as tf.Tensor1D, 1e-12),
      () => [tf.add(rand([4, 300, 129], 1, 3), 0.5), rand([129], 2), rand([129], 3)],
      () => rand([4, 300, 129], 4),
    );
  });

  it('addLayerNorm (residual add fused in) and its gradients, both inputs, match add + layerNorm in composed ops', async () => {
    await compareWithGrads(
      (x, r, w, b) => addLayerNorm(x, r, w as tf.Tensor1D, b as tf.Tensor1D, 1e-12),
      () => [rand([600, 129], 11, 3), tf.add(rand([600, 129], 12), 0.5), rand([129], 13), rand([129], 14)],
      () => rand([600, 129], 15),
    );
  });

  it('addLayerNorm: the residual\'s gradient is its own tensor (accumulating into one input leaves the other intact)', async () => {
    // x feeds both the residual and a second use: autograd adds into x's gradient, which must not alias r's.
    await compareWithGrads(
      (x, r, w, b) => tf.mul(addLayerNorm(x, tf.mul(r, x), w as tf.Tensor1D, b as tf.Tensor1D, 1e-5), r),
      () => [rand([64, 33], 16, 2), rand([64, 33], 17), rand([33], 18), rand([33], 19)],
      () => rand([64, 33], 20),
    );
  });

  it('gelu and its gradient match the composed ops', async () => {
    await compareWithGrads((x) => gelu(x), () => [rand([70001], 5, 4)], () => rand([70001], 6));
  });

  it('runs on the native path (custom gradient), not the composed one, on native', async () => {
    await tf.setBackend('native');
    const x = rand([8, 16], 7);
    const before = tf.memory().numTensors;
    const y = gelu(x);
    // The composed GELU leaves intermediates to tidy; the native one creates exactly its output.
    expect(tf.memory().numTensors - before).toBe(1);
    tf.dispose([x, y]);
  });
});
