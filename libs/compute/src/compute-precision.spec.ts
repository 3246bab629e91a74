import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { errorCode } from '@tunefleet/core';
import { bf16Support, tryRegisterNativeBackend } from '@tunefleet/native-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { setComputePrecision } from './compute-precision.ts';

const registration = await tryRegisterNativeBackend({ threads: 1 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

afterAll(async () => {
  if (!registration.ok) return;
  await tf.setBackend('native');
  setComputePrecision('fp32');
});

describe('setComputePrecision', () => {
  it('refuses bf16 on a backend without bf16 products, saying how to get it', async () => {
    await tf.setBackend('cpu');
    expect(setComputePrecision('fp32')).toEqual({ mode: 'fp32', detail: 'float32 products (cpu backend)' });
    let failure: unknown;
    try {
      setComputePrecision('bf16');
    } catch (error) {
      failure = error;
    }
    expect(errorCode(failure)).toBe('BACKEND_PRECISION_UNSUPPORTED');
    expect((failure as Error).message).toContain('bf16 needs the native backend, but the "cpu" backend is active; run with --backend native');
  });

  it.skipIf(!registration.ok)(`sets the native backend's products to bf16, on oneDNN where it can${skipReason}`, async () => {
    await tf.setBackend('native');
    const support = bf16Support();
    const state = setComputePrecision('bf16');
    expect(state.mode).toBe(support.dnnl && support.cpuBf16 ? 'bf16' : 'bf16-emulated');
    // 1 + 2^-10 is 1 in bf16: the product shows which precision ran.
    const product = () => tf.tidy(() => tf.matMul(tf.tensor2d([[1 + 2 ** -10]]), tf.tensor2d([[1]])).dataSync()[0]);
    expect(product()).toBe(1);
    expect(setComputePrecision('fp32').mode).toBe('fp32');
    expect(product()).toBe(1 + 2 ** -10);
  });
});
