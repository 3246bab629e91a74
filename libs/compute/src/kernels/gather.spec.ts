import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../init-backend.ts';

/** Naive gather along `axis` through nested arrays. */
function naiveGather(x: number[][][], indices: number[], axis: 0 | 1 | 2): number[][][] {
  if (axis === 0) return indices.map((i) => x[i]);
  if (axis === 1) return x.map((plane) => indices.map((i) => plane[i]));
  return x.map((plane) => plane.map((row) => indices.map((i) => row[i])));
}

describe('GatherV2 row-copy kernel on wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('matches a naive gather on every axis, with repeated indices', () => {
    const x = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 1);
    const nested = x.arraySync() as number[][][];
    for (const axis of [0, 1, 2] as const) {
      const size = x.shape[axis] ?? 0;
      const indices = [2, 0, 2, 1].filter((i) => i < size);
      const got = tf.tidy(() => tf.gather(x, tf.tensor1d(indices, 'int32'), axis).arraySync());
      expect(got).toEqual(naiveGather(nested, indices, axis));
    }
    x.dispose();
  });

  it('keeps the shape of multi-dimensional indices and handles int32 tables', () => {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32');
    const out = tf.gather(table, tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'));
    expect(out.shape).toEqual([2, 2, 2]);
    expect(out.dtype).toBe('int32');
    expect(out.arraySync()).toEqual([[[5, 6], [1, 2]], [[3, 4], [3, 4]]]);
    tf.dispose([table, out]);
  });

  it('falls back to the backend kernel for batchDims 1', () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const out = tf.gather(x, tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1);
    expect(out.arraySync()).toEqual([[3, 1], [5, 5]]);
    tf.dispose([x, out]);
  });

  it('rejects an index outside the table', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    expect(() => tf.gather(x, tf.tensor1d([0, 2], 'int32'))).toThrow(/indices\[1\] = 2 is not in \[0, 1\]/);
    expect(() => tf.gather(x, tf.tensor1d([-1], 'int32'))).toThrow(expect.objectContaining({ code: 'KERNEL_INDEX_OUT_OF_RANGE' }));
    x.dispose();
  });
});
