import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropout, extendedAttentionMask, FLOAT32_MIN, gelu } from './ops.ts';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('ops', () => {
  it('dropout zeroes about `rate` of the values and scales the rest by 1/(1-rate)', () => {
    const x = tf.fill([100, 100], 2);
    const values = tf.tidy(() => Array.from(dropout(x, 0.1, { seed: 3 }, 'site').dataSync()));
    const dropped = values.filter((v) => v === 0).length / values.length;
    expect(dropped).toBeGreaterThan(0.09);
    expect(dropped).toBeLessThan(0.11);
    expect(new Set(values.filter((v) => v !== 0).map((v) => v.toFixed(5)))).toEqual(new Set([(2 / 0.9).toFixed(5)]));
    const other = tf.tidy(() => Array.from(dropout(x, 0.1, { seed: 3 }, 'other-site').dataSync()));
    expect(other).not.toEqual(values);
    expect(dropout(x, 0.1, undefined, 'site')).toBe(x); // evaluation: identity
    x.dispose();
  });

  it('exact GELU matches 0.5 x (1 + erf(x / sqrt 2)) at known points', () => {
    const got = tf.tidy(() => Array.from(gelu(tf.tensor1d([-2, -0.5, 0, 1, 3])).dataSync()));
    // torch.nn.functional.gelu(torch.tensor([-2., -.5, 0., 1., 3.], dtype=torch.float64))
    const expected = [-0.04550026389635842, -0.15426876936299344, 0, 0.841344746068543, 2.99595030590511];
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('the extended mask is 0 where attended and float32 min where padded, [batch, 1, 1, seq]', () => {
    const mask = extendedAttentionMask(Int32Array.from([1, 1, 0, 1, 0, 0]), 2, 3);
    expect(mask.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(mask.dataSync())).toEqual([0, 0, FLOAT32_MIN, 0, FLOAT32_MIN, FLOAT32_MIN].map(Math.fround));
    mask.dispose();
  });
});
