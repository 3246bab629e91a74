import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.ts';
import { GRADIENT_KERNELS } from './register-gradients.ts';

/**
 * Each registered gradient against central finite differences of `sum(f(x) * w)` (w random), on the
 * cpu backend. Criterion: max |analytic - numeric| <= 1e-2 * max(1, max |numeric|), h = 1e-2
 * (float32 forward passes; truncation error O(h^2)).
 */
const H = 1e-2;

function numericGrad(f: (xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], w: tf.Tensor, which: number): Float32Array {
  const base = Float32Array.from(inputs[which].dataSync());
  const out = new Float32Array(base.length);
  const objective = (values: Float32Array) =>
    tf.tidy(() => {
      const xs = inputs.map((x, i) => (i === which ? tf.tensor(values, x.shape) : x));
      return tf.sum(tf.mul(f(xs), w)).dataSync()[0];
    });
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] += H;
    minus[i] -= H;
    out[i] = (objective(plus) - objective(minus)) / (2 * H);
  }
  return out;
}

function seeded(shape: number[], seed: number, positive = false): tf.Tensor {
  const x = tf.randomUniform(shape, positive ? 0.5 : -1.5, positive ? 2 : 1.5, 'float32', seed);
  return x;
}

/** Kinks (max/min ties, relu at 0) must be farther than H from every input. */
const separated = () => [tf.tensor1d([-1, 0.5, 2, -0.3]), tf.tensor1d([0.2, -1, 1, 0.4])];

interface Case {
  kernel: string;
  inputs: () => tf.Tensor[];
  f: (xs: tf.Tensor[]) => tf.Tensor;
}

const cases: Case[] = [
  { kernel: 'Add', inputs: () => [seeded([3, 4], 1), seeded([4], 2)], f: ([a, b]) => tf.add(a, b) },
  { kernel: 'Sub', inputs: () => [seeded([3, 1], 1), seeded([3, 4], 2)], f: ([a, b]) => tf.sub(a, b) },
  { kernel: 'Multiply', inputs: () => [seeded([2, 3, 4], 1), seeded([3, 1], 2)], f: ([a, b]) => tf.mul(a, b) },
  { kernel: 'RealDiv', inputs: () => [seeded([3, 4], 1), seeded([4], 2, true)], f: ([a, b]) => tf.div(a, b) },
  { kernel: 'Maximum', inputs: separated, f: ([a, b]) => tf.maximum(a, b) },
  { kernel: 'Minimum', inputs: separated, f: ([a, b]) => tf.minimum(a, b) },
  { kernel: 'AddN', inputs: () => [seeded([3, 4], 1), seeded([3, 4], 2), seeded([3, 4], 3)], f: (xs) => tf.addN(xs) },
  { kernel: 'Neg', inputs: () => [seeded([5], 1)], f: ([x]) => tf.neg(x) },
  { kernel: 'Square', inputs: () => [seeded([5], 1)], f: ([x]) => tf.square(x) },
  { kernel: 'Rsqrt', inputs: () => [seeded([5], 1, true)], f: ([x]) => tf.rsqrt(x) },
  { kernel: 'Sqrt', inputs: () => [seeded([5], 1, true)], f: ([x]) => tf.sqrt(x) },
  { kernel: 'Erf', inputs: () => [seeded([6], 1)], f: ([x]) => tf.erf(x) },
  { kernel: 'Log', inputs: () => [seeded([5], 1, true)], f: ([x]) => tf.log(x) },
  { kernel: 'Relu', inputs: () => [tf.tensor1d([-1, 0.5, 2, -0.3, 0.1])], f: ([x]) => tf.relu(x) },
  { kernel: 'Exp', inputs: () => [seeded([5], 1)], f: ([x]) => tf.exp(x) },
  { kernel: 'Tanh', inputs: () => [seeded([5], 1)], f: ([x]) => tf.tanh(x) },
  { kernel: 'Sigmoid', inputs: () => [seeded([5], 1)], f: ([x]) => tf.sigmoid(x) },
  { kernel: 'Identity', inputs: () => [seeded([5], 1)], f: ([x]) => tf.mul(tf.clone(x), x) },
  { kernel: 'Cast', inputs: () => [seeded([5], 1)], f: ([x]) => tf.mul(tf.cast(x, 'float32'), x) },
  { kernel: 'Reshape', inputs: () => [seeded([2, 6], 1)], f: ([x]) => tf.reshape(x, [3, 4]) },
  { kernel: 'Transpose', inputs: () => [seeded([2, 3, 4], 1)], f: ([x]) => tf.transpose(x, [2, 0, 1]) },
  { kernel: 'Sum', inputs: () => [seeded([2, 3, 4], 1)], f: ([x]) => tf.sum(x, [0, 2]) },
  { kernel: 'Mean', inputs: () => [seeded([2, 3, 4], 1)], f: ([x]) => tf.mean(x, -1, true) },
  { kernel: 'Softmax', inputs: () => [seeded([3, 5], 1)], f: ([x]) => tf.softmax(x) },
  { kernel: 'BatchMatMul', inputs: () => [seeded([2, 3, 4], 1), seeded([2, 4, 5], 2)], f: ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D) },
  { kernel: 'BatchMatMul', inputs: () => [seeded([2, 3, 4], 1), seeded([2, 5, 4], 2)], f: ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true) },
  { kernel: 'BatchMatMul', inputs: () => [seeded([2, 4, 3], 1), seeded([2, 4, 5], 2)], f: ([a, b]) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, true, false) },
  { kernel: 'BatchMatMul', inputs: () => [seeded([4, 3], 1), seeded([5, 4], 2)], f: ([a, b]) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true) },
  { kernel: 'GatherV2', inputs: () => [seeded([5, 3], 1)], f: ([x]) => tf.gather(x, tf.tensor1d([4, 0, 4, 2], 'int32')) },
  { kernel: 'GatherV2', inputs: () => [seeded([2, 5, 3], 1)], f: ([x]) => tf.gather(x, tf.tensor2d([[1, 1], [3, 0]], [2, 2], 'int32'), 1) },
];

describe('registered gradients vs finite differences', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('every registered kernel has a case', () => {
    expect(new Set(cases.map((c) => c.kernel))).toEqual(new Set(GRADIENT_KERNELS));
    for (const name of GRADIENT_KERNELS) expect(tf.getGradient(name)).toBeDefined();
  });

  cases.forEach(({ kernel, inputs, f }, index) => {
    it(`${kernel} (case ${index})`, () => {
      const xs = inputs();
      const w = tf.tidy(() => seeded(f(xs).shape, 99));
      const analytic = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(args), w)))(xs);
      xs.forEach((x, which) => {
        if (x.dtype !== 'float32') return;
        const numeric = numericGrad(f, xs, w, which);
        const got = analytic[which].dataSync();
        const scale = Math.max(1, ...Array.from(numeric, Math.abs));
        const diff = Math.max(...Array.from(numeric, (v, i) => Math.abs(v - got[i])));
        expect(diff, `${kernel} input ${which}`).toBeLessThanOrEqual(1e-2 * scale);
      });
      tf.dispose([...xs, w, ...analytic]);
    });
  });
});
