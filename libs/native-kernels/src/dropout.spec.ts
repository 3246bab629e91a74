import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { keepMaskInJs } from './dropout.ts';
import { applyDropout, keepMask, tryRegisterNativeBackend } from './index.ts';
import { expectClose, randomValues, runOn } from './test-support.ts';

const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

describe.skipIf(!registration.ok)(`dropout${skipReason}`, () => {
  it('the native keep mask is bit-identical to the JS mulberry32 stream (threads split long masks)', () => {
    for (const [seed, rate, size] of [[0, 0.1, 1000], [2166136261, 0.5, 200003], [4294967295, 0.9, 70000], [12345, 0, 64]] as const) {
      const native = keepMask(seed, rate, size);
      const js = keepMaskInJs(seed, rate, new Uint8Array(size));
      expect(native).toEqual(js);
      const dropped = native.reduce((n, k) => n + (k === 0 ? 1 : 0), 0) / size;
      expect(Math.abs(dropped - rate)).toBeLessThan(0.02);
    }
  });

  it('applyDropout and its gradient match the float-mask multiply on cpu', async () => {
    const keep = keepMask(7, 0.25, 3 * 50001);
    const run = () => {
      const x = tf.tensor(randomValues(3 * 50001, 1), [3, 50001]);
      const w = tf.tensor(randomValues(3 * 50001, 2), [3, 50001]);
      const f = (t: tf.Tensor) => applyDropout(t, keep, 1 / 0.75);
      return [f(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)];
    };
    const expected = await runOn('cpu', run);
    const actual = await runOn('native', run);
    actual.values.forEach((v, i) => expectClose(v, expected.values[i], 0, 0));
    expect(expected.values[0].filter((v, i) => keep[i] === 0 && v !== 0)).toEqual(new Float32Array(0));
  });
});
