import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adamwUpdate, createAdamWMoments, tryRegisterNativeBackend } from './index.ts';
import { expectClose, randomValues } from './test-support.ts';

const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

/** torch.optim.AdamW, one parameter, in float64: the reference the native update must match. */
function referenceAdamW(
  p: Float64Array,
  grads: Float32Array[],
  hyper: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number },
): Float64Array {
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, s) => {
    const step = s + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - hyper.learningRate * hyper.weightDecay;
      m[i] = hyper.beta1 * m[i] + (1 - hyper.beta1) * g[i];
      v[i] = hyper.beta2 * v[i] + (1 - hyper.beta2) * g[i] * g[i];
      const mHat = m[i] / (1 - hyper.beta1 ** step);
      const vHat = v[i] / (1 - hyper.beta2 ** step);
      p[i] -= (hyper.learningRate * mHat) / (Math.sqrt(vHat) + hyper.epsilon);
    }
  });
  return p;
}

describe.skipIf(!registration.ok)(`adamwUpdate${skipReason}`, () => {
  const hyper = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

  it('matches torch.optim.AdamW over 3 steps, per-parameter weight decay, in place', async () => {
    await tf.setBackend('native');
    const sizes = [70001, 33]; // the first is split across threads
    const initial = sizes.map((n, i) => randomValues(n, 100 + i));
    const params = initial.map((values, i) => tf.tidy(() => tf.variable(tf.tensor1d(values.slice()), true, `p${i}`)));
    const decays = [0.1, 0];
    const moments = createAdamWMoments(params);
    const gradSteps = [0, 1, 2].map((s) => sizes.map((n, i) => randomValues(n, 200 + 10 * s + i)));
    const dataIds = params.map((p) => p.dataId);
    gradSteps.forEach((grads, s) => {
      const gradTensors = grads.map((g) => tf.tensor1d(g));
      adamwUpdate(params, gradTensors, moments, { ...hyper, weightDecay: decays, step: s + 1 });
      tf.dispose(gradTensors);
    });
    expect(params.map((p) => p.dataId)).toEqual(dataIds); // updated in place
    params.forEach((p, i) => {
      const expected = referenceAdamW(Float64Array.from(initial[i]), gradSteps.map((g) => g[i]), { ...hyper, weightDecay: decays[i] });
      expectClose(p.dataSync() as Float32Array, Float32Array.from(expected), 1e-5, 1e-6);
    });
    tf.dispose(params);
  });

  it('leaves tensors that share the parameter buffer untouched', async () => {
    await tf.setBackend('native');
    const param = tf.variable(tf.tensor1d([1, 2, 3]));
    const alias = tf.reshape(param, [3, 1]); // shares the data buffer
    adamwUpdate([param], [tf.tensor1d([1, 1, 1])], createAdamWMoments([param]), { ...hyper, weightDecay: 0, step: 1 });
    expect(Array.from(alias.dataSync())).toEqual([1, 2, 3]);
    expectClose(param.dataSync() as Float32Array, Float32Array.from([0.99, 1.99, 2.99]), 1e-6, 1e-6);
    tf.dispose([param, alias]);
  });

  it('names the parameter when a gradient has the wrong size', async () => {
    await tf.setBackend('native');
    const param = tf.variable(tf.zeros([2, 2]), true, 'bert.pooler.dense.weight');
    expect(() =>
      adamwUpdate([param], [tf.zeros([3])], createAdamWMoments([param]), { ...hyper, weightDecay: 0, step: 1 }),
    ).toThrow(/bert\.pooler\.dense\.weight/);
    param.dispose();
  });
});
