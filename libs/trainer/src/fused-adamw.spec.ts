import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from '@tunefleet/compute';
import { adamwUpdate, nativeUnavailableReason } from '@tunefleet/native-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.ts';
import { FusedAdamW, type FusedAdamWKernel } from './fused-adamw.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerGradients();
});

/** torch.optim.AdamW written out on host arrays: what a fused kernel must compute. */
const jsKernel: FusedAdamWKernel = (params, grads, moments, hyper) => {
  params.forEach((param, i) => {
    const p = Float32Array.from(param.dataSync());
    const g = grads[i]!.dataSync();
    const m = moments.m[i]!;
    const v = moments.v[i]!;
    const bc1 = 1 - hyper.beta1 ** hyper.step;
    const bc2Sqrt = Math.sqrt(1 - hyper.beta2 ** hyper.step);
    for (let j = 0; j < p.length; j++) {
      p[j] *= 1 - hyper.learningRate * hyper.weightDecay[i]!;
      m[j] = m[j]! + (g[j]! - m[j]!) * (1 - hyper.beta1);
      v[j] = v[j]! * hyper.beta2 + g[j]! * g[j]! * (1 - hyper.beta2);
      p[j] -= (hyper.learningRate / bc1) * (m[j]! / (Math.sqrt(v[j]!) / bc2Sqrt + hyper.epsilon));
    }
    param.assign(tf.tensor(p, param.shape));
  });
};

function runSteps(kernel: FusedAdamWKernel | undefined): { weight: Float32Array; bias: Float32Array; state: Map<string, { data: Float32Array }> } {
  const tag = Math.random().toString(36).slice(2);
  const parameters = new Map<string, tf.Variable>([
    ['dense.weight', tf.variable(tf.tensor2d([[0.5, -1, 2], [0.1, 0.2, -0.3]]), true, `w${tag}`)],
    ['dense.bias', tf.variable(tf.tensor1d([0.05, -0.05]), true, `b${tag}`)],
  ]);
  const options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };
  const isDecayed = (name: string) => !name.endsWith('.bias');
  const optimizer = kernel ? new FusedAdamW(parameters, options, isDecayed, kernel) : new AdamW(parameters, options, isDecayed);
  const gradients = [
    [[[0.1, -0.2, 0.3], [0.0, 0.5, -0.5]], [0.2, -0.1]],
    [[[-0.5, 0.1, 0.0], [0.3, 0.3, 0.3]], [-0.3, 0.4]],
    [[[0.2, 0.2, -0.1], [-0.2, 0.1, 0.05]], [0.01, 0.02]],
  ] as const;
  gradients.forEach(([w, b], step) => {
    const grads = new Map<string, tf.Tensor>([['dense.weight', tf.tensor2d(w.map((r) => [...r]))], ['dense.bias', tf.tensor1d([...b])]]);
    optimizer.step(grads, 0.05 * (step + 1));
    tf.dispose([...grads.values()]);
  });
  return {
    weight: Float32Array.from(parameters.get('dense.weight')!.dataSync()),
    bias: Float32Array.from(parameters.get('dense.bias')!.dataSync()),
    state: optimizer.stateTensors(),
  };
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]!), `index ${i}: ${value} vs ${expected[i]}`).toBeLessThan(tolerance));
}

describe('FusedAdamW', () => {
  it('with a torch-formula kernel equals the tensor-op AdamW, decay mask and moments included', () => {
    const reference = runSteps(undefined);
    const fused = runSteps(jsKernel);
    expectClose(fused.weight, reference.weight, 1e-6);
    expectClose(fused.bias, reference.bias, 1e-6);
    expectClose(fused.state.get('exp_avg_sq.dense.weight')!.data, reference.state.get('exp_avg_sq.dense.weight')!.data, 1e-7);
  });

  it('refuses a step without a gradient for every parameter, naming it', () => {
    const parameters = new Map([['a.weight', tf.variable(tf.zeros([2]))], ['a.bias', tf.variable(tf.zeros([2]))]]);
    const optimizer = new FusedAdamW(parameters, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }, () => true, jsKernel);
    expect(() => optimizer.step(new Map([['a.weight', tf.ones([2])]]), 0.1)).toThrow(/missing: a\.bias/);
  });

  const nativeReason = nativeUnavailableReason();
  it.skipIf(nativeReason !== undefined && process.env.TUNEFLEET_REQUIRE_NATIVE !== '1')(
    `with native-kernels' adamwUpdate equals the tensor-op AdamW${nativeReason ? ` (native: ${nativeReason})` : ''}`,
    () => {
      const reference = runSteps(undefined);
      const native = runSteps(adamwUpdate);
      expectClose(native.weight, reference.weight, 1e-6);
      expectClose(native.bias, reference.bias, 1e-6);
    },
  );
});
