import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './init-backend.ts';
import { installExtraKernels, registerExtraKernel } from './kernel-registry.ts';
import { readInput } from './kernels/kernel-io.ts';

describe('extra kernel registry', () => {
  it('a kernel registered for a backend replaces the built-in one, now and on every later start', async () => {
    await initBackend({ backend: 'cpu' });
    const original = tf.getKernel('Erf', 'cpu')!;
    const calls: number[] = [];
    registerExtraKernel({
      kernelName: 'Erf',
      backendName: 'cpu',
      kernelFunc: (args) => {
        calls.push(readInput(args.backend, (args.inputs as { x: tf.TensorInfo }).x).length);
        return original.kernelFunc(args);
      },
    });
    try {
      expect(Array.from(tf.erf(tf.tensor1d([0, 10])).dataSync())).toEqual([0, 1]);
      expect(calls).toEqual([2]);
      const info = await initBackend({ backend: 'cpu' });
      expect(info.detail).toContain('Erf');
      expect(installExtraKernels('cpu')).toEqual(['UnsortedSegmentSum', 'Erf']);
      tf.erf(tf.tensor1d([1, 2, 3])).dispose();
      expect(calls).toEqual([2, 3]);
    } finally {
      registerExtraKernel(original);
    }
  });
});
