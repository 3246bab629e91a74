import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.ts';
import { installExtraKernels } from './kernel-registry.ts';

describe('extra kernel registry', () => {
  it('cpu gets tunefleet\'s UnsortedSegmentSum, installed again (not stacked) on every start', async () => {
    const info = await initBackend({ backend: 'cpu' });
    expect(info.detail).toMatch(/extra kernels: UnsortedSegmentSum$/);
    const first = tf.getKernel('UnsortedSegmentSum', 'cpu')!.kernelFunc;
    expect(installExtraKernels('cpu')).toEqual(['UnsortedSegmentSum']);
    const second = tf.getKernel('UnsortedSegmentSum', 'cpu')!.kernelFunc;
    expect(second).not.toBe(first); // replaced by a fresh config
    const out = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 1, 0], 'int32'), 2);
    expect(out.arraySync()).toEqual([[5, 6], [4, 6]]);
    out.dispose();
  });

  it('wasm gets UnsortedSegmentSum and the row-copy GatherV2, which falls back to wasm\'s own kernel', async () => {
    await initBackend({ backend: 'wasm' });
    expect(installExtraKernels('wasm')).toEqual(['UnsortedSegmentSum', 'GatherV2']);
    // installed twice: the fallback is still wasm's original kernel, not the previous extra one
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const out = tf.gather(x, tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32'), 1, 1);
    expect(out.arraySync()).toEqual([[3, 1], [5, 5]]);
    tf.dispose([x, out]);
  });

  it('native and tensorflow get none here (native registers its own kernels)', () => {
    expect(installExtraKernels('native')).toEqual([]);
    expect(installExtraKernels('tensorflow')).toEqual([]);
  });
});
