import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tryRegisterNativeBackend } from './index.ts';
import type { NativeBackend } from './native-backend.ts';

const registration = await tryRegisterNativeBackend({ threads: 1 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

async function nativeBackend(): Promise<NativeBackend> {
  await tf.setBackend('native');
  return tf.backend() as NativeBackend;
}

const valuesOf = (backend: NativeBackend, t: tf.Tensor) => backend.data.get(t.dataId).values as Float32Array;

describe.skipIf(!registration.ok)(`native backend output pool${skipReason}`, () => {
  it('reuses the array of a released native output for the next output of that size', async () => {
    const backend = await nativeBackend();
    const a = tf.ones([64, 64]);
    const first = tf.add(a, 1);
    const array = valuesOf(backend, first);
    first.dispose();
    const second = tf.mul(a, 3);
    expect(valuesOf(backend, second)).toBe(array);
    expect(Array.from(second.dataSync().slice(0, 3))).toEqual([3, 3, 3]); // fully overwritten
    tf.dispose([a, second]);
  });

  it('never reuses an array handed out by dataSync', async () => {
    const backend = await nativeBackend();
    const a = tf.ones([64, 64]);
    const first = tf.add(a, 1);
    const held = first.dataSync();
    first.dispose();
    const second = tf.mul(a, 3);
    expect(valuesOf(backend, second)).not.toBe(held);
    expect(held[0]).toBe(2);
    tf.dispose([a, second]);
  });

  it('never reuses an array that a cpu kernel aliased (Slice returns a subarray view)', async () => {
    const backend = await nativeBackend();
    const a = tf.ones([64, 64]);
    const first = tf.add(a, 1);
    const rows = tf.slice(first, [0, 0], [2, 64]); // contiguous rows: a view of first's array
    first.dispose();
    const second = tf.mul(a, 3);
    expect(valuesOf(backend, second)).not.toBe(valuesOf(backend, rows));
    expect(Array.from(rows.dataSync().slice(0, 2))).toEqual([2, 2]);
    tf.dispose([a, rows, second]);
  });

  it('keeps an array while another tensor shares its data (reshape)', async () => {
    await nativeBackend();
    const a = tf.ones([64, 64]);
    const first = tf.add(a, 1);
    const reshaped = tf.reshape(first, [4096]);
    first.dispose();
    const second = tf.mul(a, 3);
    expect(Array.from(reshaped.dataSync().slice(0, 2))).toEqual([2, 2]);
    tf.dispose([a, reshaped, second]);
  });
});
