import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.ts';
import { unsortedSegmentSum } from './unsorted-segment-sum.ts';

/** Naive reference: for each segment, scan every row. */
function naive(x: Float32Array, rows: number, inner: number, ids: Int32Array, numSegments: number): Float32Array {
  const out = new Float32Array(numSegments * inner);
  for (let s = 0; s < numSegments; s++) {
    for (let r = 0; r < rows; r++) {
      if (ids[r] !== s) continue;
      for (let k = 0; k < inner; k++) out[s * inner + k] += x[r * inner + k];
    }
  }
  return out;
}

function randomCase(rows: number, inner: number, numSegments: number, seed: number) {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = Float32Array.from({ length: rows * inner }, () => next() * 2 - 1);
  // ids include repeats and one out-of-range value (-1 / numSegments) that must be dropped
  const ids = Int32Array.from({ length: rows }, (_, r) => (r === 3 ? -1 : r === 5 ? numSegments : Math.floor(next() * numSegments)));
  return { x, ids };
}

describe('unsortedSegmentSum (plain function)', () => {
  it('matches the naive per-segment reference', () => {
    const { x, ids } = randomCase(40, 7, 9, 1);
    const out = new Float32Array(9 * 7);
    unsortedSegmentSum(x, [40, 7], ids, 9, out);
    const expected = naive(x, 40, 7, ids, 9);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(expected[i], 5);
    expect(expected.some((v) => v !== 0)).toBe(true);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`UnsortedSegmentSum kernel and gather gradient on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend({ backend });
    });

    it('kernel output matches the naive reference', () => {
      const { x, ids } = randomCase(30, 5, 11, 7);
      const result = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(x, [30, 5]), tf.tensor1d(ids, 'int32'), 11));
      expect(tf.getBackend()).toBe(backend);
      expect(result.shape).toEqual([11, 5]);
      const got = result.dataSync();
      const expected = naive(x, 30, 5, ids, 11);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      result.dispose();
    });

    it('gradient of tf.gather (embedding lookup) scatters into the looked-up rows', () => {
      const table = tf.variable(tf.randomNormal([6, 4], 0, 1, 'float32', 3));
      const ids = tf.tensor2d([[1, 2, 1], [5, 0, 1]], [2, 3], 'int32'); // [batch, seq]
      const weights = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, ids), weights)), [table]);
      const grad = grads[table.name].arraySync() as number[][];
      const w = weights.arraySync() as number[][][];
      const expected = Array.from({ length: 6 }, () => [0, 0, 0, 0]);
      [[1, 2, 1], [5, 0, 1]].forEach((row, b) => row.forEach((id, s) => w[b][s].forEach((v, k) => (expected[id][k] += v))));
      grad.forEach((row, i) => row.forEach((v, k) => expect(v).toBeCloseTo(expected[i][k], 5)));
      expect(grad[3]).toEqual([0, 0, 0, 0]);
      tf.dispose([table, ids, weights, grads[table.name]]);
    });
  });
}
