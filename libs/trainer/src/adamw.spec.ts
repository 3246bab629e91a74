import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from '@tunefleet/compute';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.ts';
import { clipGradNorm } from './clip-grad-norm.ts';
import { LrScheduler } from './lr-schedule.ts';

// Written by ../fixtures/make_adamw_reference.py (torch.optim.AdamW + LambdaLR + clip_grad_norm_).
const reference = JSON.parse(readFileSync(new URL('../fixtures/adamw-reference.json', import.meta.url), 'utf8'));
const TOLERANCE = 2e-6;

function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what}[${i}]: ${actual[i]} vs torch ${expected[i]}`).toBeLessThan(TOLERANCE);
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerGradients();
});

describe('AdamW + linear warmup + clipping against torch', () => {
  it('matches torch parameters, moments, learning rates and grad norms at every step', () => {
    const cfg = reference.config;
    const weight = tf.variable(tf.tensor2d(reference.init.weight), true, 'ref.weight');
    const bias = tf.variable(tf.tensor1d(reference.init.bias), true, 'ref.bias');
    const parameters = new Map<string, tf.Variable>([['classifier.weight', weight], ['classifier.bias', bias]]);
    const optimizer = new AdamW(
      parameters,
      { beta1: cfg.beta1, beta2: cfg.beta2, epsilon: cfg.eps, weightDecay: cfg.weight_decay },
      (name) => !name.endsWith('.bias'),
    );
    const scheduler = new LrScheduler(cfg.lr, 'linear', cfg.warmup_steps, cfg.total_steps);
    const x = tf.tensor2d(reference.x);
    const y = tf.tensor2d(reference.y);
    reference.steps.forEach((expected: any, i: number) => {
      const { value, grads } = tf.variableGrads(
        () => tf.mul(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, weight, false, true), bias), y))), cfg.scales[i]) as tf.Scalar,
        [weight, bias],
      );
      expect(value.dataSync()[0]).toBeCloseTo(expected.loss, 3);
      const named = new Map([['classifier.weight', grads['ref.weight']!], ['classifier.bias', grads['ref.bias']!]]);
      const clipped = clipGradNorm(named, cfg.max_grad_norm);
      expect(clipped.totalNorm / expected.grad_norm).toBeCloseTo(1, 5);
      expect(scheduler.currentLearningRate).toBeCloseTo(expected.lr_used, 12);
      optimizer.step(clipped.grads, scheduler.currentLearningRate);
      scheduler.step();
      expect(scheduler.currentLearningRate).toBeCloseTo(expected.lr_after, 12);
      expectClose(weight.dataSync(), expected.weight, `step ${i + 1} weight`);
      expectClose(bias.dataSync(), expected.bias, `step ${i + 1} bias`);
      const state = optimizer.stateTensors();
      expectClose(state.get('exp_avg.classifier.weight')!.data, expected.exp_avg_weight, `step ${i + 1} exp_avg`);
      expectClose(state.get('exp_avg_sq.classifier.bias')!.data, expected.exp_avg_sq_bias, `step ${i + 1} exp_avg_sq`);
      tf.dispose([value, ...clipped.grads.values()]);
    });
    optimizer.dispose();
    tf.dispose([weight, bias, x, y]);
  });

  it('continues identically after saving and loading its state', () => {
    const make = (tag: string): Map<string, tf.Variable> => new Map([['w', tf.variable(tf.tensor1d([0.5, -1, 2]), true, `w${tag}`)]]);
    const options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };
    const grads = [[0.1, -0.2, 0.3], [-0.5, 0.1, 0.0], [0.2, 0.2, -0.1]].map((g) => new Map([['w', tf.tensor1d(g)]]));
    const straight = make('a');
    const a = new AdamW(straight, options, () => true);
    grads.forEach((g) => a.step(g, 0.1));
    const resumed = make('b');
    const b1 = new AdamW(resumed, options, () => true);
    b1.step(grads[0]!, 0.1);
    const b2 = new AdamW(resumed, options, () => true);
    b2.loadState(b1.stateTensors(), b1.stepCount, 'memory');
    b2.step(grads[1]!, 0.1);
    b2.step(grads[2]!, 0.1);
    expect(Array.from(resumed.get('w')!.dataSync())).toEqual(Array.from(straight.get('w')!.dataSync()));
    expect(() => b2.loadState(new Map(), 1, 'ckpt/optimizer.safetensors')).toThrow(/missing optimizer tensor "exp_avg.w"/);
  });
});
