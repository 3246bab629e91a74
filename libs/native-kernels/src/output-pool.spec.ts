import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tryRegisterNativeBackend } from './index.ts';
import { sizeClass, type NativeBackend } from './native-backend.ts';

const registration = await tryRegisterNativeBackend({ threads: 1 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

async function nativeBackend(): Promise<NativeBackend> {
  await tf.setBackend('native');
  return tf.backend() as NativeBackend;
}

const valuesOf = (backend: NativeBackend, t: tf.Tensor) => backend.data.get(t.dataId).values as Float32Array;

/** Releases one native output, makes the next of that size; says whether it got the same array. */
function nextOutputReusesReleased(backend: NativeBackend): boolean {
  const a = tf.ones([64, 64]);
  const first = tf.add(a, 1);
  const array = valuesOf(backend, first);
  first.dispose();
  const second = tf.mul(a, 3);
  const isReused = valuesOf(backend, second).buffer === array.buffer;
  expect(Array.from(second.dataSync().slice(0, 3))).toEqual([3, 3, 3]); // fully overwritten
  tf.dispose([a, second]);
  return isReused;
}

describe.skipIf(!registration.ok)(`native backend output pool${skipReason}`, () => {
  it('reuses the array of a released native output for the next output of that size', async () => {
    expect(nextOutputReusesReleased(await nativeBackend())).toBe(true);
  });

  it('reuses a released array for an output of a slightly different size (dynamic padding)', async () => {
    const backend = await nativeBackend();
    const a = tf.ones([60, 64]);
    const first = tf.add(a, 1);
    const array = valuesOf(backend, first);
    first.dispose();
    const b = tf.ones([58, 64]); // another batch's sequence length
    const second = tf.mul(b, 3);
    const reused = valuesOf(backend, second);
    expect(reused.buffer).toBe(array.buffer);
    expect(reused.length).toBe(58 * 64);
    expect(second.shape).toEqual([58, 64]);
    expect(Array.from(second.dataSync().slice(-2))).toEqual([3, 3]);
    tf.dispose([a, b, second]);
  });

  it('never reuses an array handed out by dataSync', async () => {
    const backend = await nativeBackend();
    const a = tf.ones([64, 64]);
    const first = tf.add(a, 1);
    const held = first.dataSync();
    first.dispose();
    const second = tf.mul(a, 3);
    expect(valuesOf(backend, second).buffer).not.toBe(held.buffer);
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
    expect(valuesOf(backend, second).buffer).not.toBe(valuesOf(backend, rows).buffer);
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

describe('output pool size classes', () => {
  it('round up by at most a quarter of the highest power of two, never below the length', () => {
    expect([1, 4, 5, 8, 9, 1024, 1025, 1280, 1281, 2047].map(sizeClass)).toEqual([1, 4, 5, 8, 10, 1024, 1280, 1280, 1536, 2048]);
    for (let length = 1; length < 5000; length += 7) {
      const capacity = sizeClass(length);
      expect(capacity).toBeGreaterThanOrEqual(length);
      expect(capacity).toBeLessThanOrEqual(Math.max(length, 1.25 * length + 1));
      expect(Number.isInteger(capacity)).toBe(true);
    }
  });
});

describe.skipIf(!registration.ok)(`native backend output pool bound${skipReason}`, () => {
  const kib64 = 64 * 64 * 4; // bytes of one [64, 64] float32 output

  it('drops the arrays freed longest ago when over its bound, and keeps the newest', async () => {
    expect((await tryRegisterNativeBackend({ threads: 1, poolMb: (2.5 * kib64) / 2 ** 20 })).ok).toBe(true);
    try {
      const backend = await nativeBackend();
      const a = tf.ones([64, 64]);
      const outs = [tf.add(a, 1), tf.add(a, 2), tf.add(a, 3)];
      const arrays = outs.map((t) => valuesOf(backend, t));
      tf.dispose(outs); // freed in order 0, 1, 2: room for two, so the oldest go first
      expect(backend.pooledByteCount).toBe(2 * kib64);
      const next = [tf.mul(a, 1), tf.mul(a, 2), tf.mul(a, 3)];
      const reused = next.map((t) => valuesOf(backend, t).buffer);
      const buffers = arrays.map((v) => v.buffer);
      expect(reused[0]).toBe(buffers[2]); // newest first
      expect(reused[1]).toBe(buffers[1]);
      expect(buffers).not.toContain(reused[2]); // arrays[0] was dropped: a fresh one
      expect(Array.from(next[2].dataSync().slice(0, 2))).toEqual([3, 3]);
      tf.dispose(next);
      a.dispose();
    } finally {
      await tryRegisterNativeBackend({ threads: 1 });
    }
  });

  it('poolMb 0 turns reuse off', async () => {
    expect((await tryRegisterNativeBackend({ threads: 1, poolMb: 0 })).ok).toBe(true);
    try {
      expect(nextOutputReusesReleased(await nativeBackend())).toBe(false);
    } finally {
      await tryRegisterNativeBackend({ threads: 1 });
    }
  });

  it('a bad pool size is refused with the value named', async () => {
    for (const poolMb of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const bad = await tryRegisterNativeBackend({ threads: 1, poolMb });
      expect(bad).toEqual({ ok: false, reason: expect.stringContaining(`poolMb ${poolMb}: the native output pool size must be a number of megabytes >= 0`) });
    }
  });

  it('the pool size comes only from poolMb: TUNEFLEET_POOL_MB is the apps\' to read, not this library\'s', async () => {
    const saved = process.env.TUNEFLEET_POOL_MB;
    process.env.TUNEFLEET_POOL_MB = '0';
    try {
      expect(await tryRegisterNativeBackend({ threads: 1 })).toMatchObject({ ok: true });
      expect(nextOutputReusesReleased(await nativeBackend())).toBe(true); // the default pool, not 0 MB
    } finally {
      if (saved === undefined) delete process.env.TUNEFLEET_POOL_MB;
      else process.env.TUNEFLEET_POOL_MB = saved;
    }
  });
});
