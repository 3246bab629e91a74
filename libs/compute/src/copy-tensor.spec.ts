import * as tf from '@tensorflow/tfjs-core';
import { tryRegisterNativeBackend } from '@tunefleet/native-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTensorInto } from './copy-tensor.ts';
import { initBackend } from './init-backend.ts';

const native = await tryRegisterNativeBackend({ threads: 1 });
afterAll(() => tf.setBackend('cpu'));

describe('copyTensorInto', () => {
  it('copies a float32 tensor at an offset and leaves the rest of the target alone (cpu)', async () => {
    await initBackend({ backend: 'cpu' });
    const target = new Float32Array(7).fill(-1);
    const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    copyTensorInto(t, target, 2);
    expect(Array.from(target)).toEqual([-1, -1, 1, 2, 3, 4, -1]);
    t.dispose();
  });

  it('refuses a target too short, a negative offset and a non-float32 tensor, naming the sizes', async () => {
    await initBackend({ backend: 'cpu' });
    const t = tf.tensor1d([1, 2, 3]);
    expect(() => copyTensorInto(t, new Float32Array(4), 2)).toThrow(/3 values at offset 2 do not fit a target of 4/);
    expect(() => copyTensorInto(t, new Float32Array(4), -1)).toThrow(/offset -1/);
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => copyTensorInto(ints, new Float32Array(4), 0)).toThrow(/expected a float32 tensor, got int32/);
    tf.dispose([t, ints]);
  });

  it.skipIf(!native.ok)('on native, the copied tensor\'s array still goes back to the pool (dataSync would hand it out)', async () => {
    await initBackend({ backend: 'native', threads: 1 });
    const backend = tf.backend() as tf.KernelBackend & { data: { get(id: object): { values: Float32Array } } };
    const a = tf.ones([32, 32]);
    const grad = tf.add(a, 1); // a native output: pool-born
    const array = backend.data.get(grad.dataId).values;
    const target = new Float32Array(32 * 32);
    copyTensorInto(grad, target, 0);
    expect(target[5]).toBe(2);
    grad.dispose();
    const next = tf.mul(a, 3);
    expect(backend.data.get(next.dataId).values.buffer).toBe(array.buffer);
    tf.dispose([a, next]);
  });
});
