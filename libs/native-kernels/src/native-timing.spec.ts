import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadAddon } from './addon.ts';
import { gelu, timeNativeCalls, tryRegisterNativeBackend } from './index.ts';

const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

describe.skipIf(!registration.ok)(`timeNativeCalls${skipReason}`, () => {
  it('counts each addon call made inside, and restores the addon afterwards (also on a throw)', async () => {
    await tf.setBackend('native');
    const addon = loadAddon();
    if (!addon.ok) throw new Error(addon.reason);
    const original = addon.addon.gelu;
    const x = tf.ones([1000]);
    const timings = await timeNativeCalls(() => {
      tf.tidy(() => [gelu(x), gelu(x), tf.matMul(tf.ones([4, 4]), tf.ones([4, 4]))]);
    });
    expect(timings.find((t) => t.name === 'gelu')?.calls).toBe(2);
    expect(timings.find((t) => t.name === 'matMul')?.calls).toBe(1);
    expect(timings.every((t) => t.ms >= 0)).toBe(true);
    expect(addon.addon.gelu).toBe(original);
    await expect(timeNativeCalls(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(addon.addon.gelu).toBe(original);
    x.dispose();
  });
});
