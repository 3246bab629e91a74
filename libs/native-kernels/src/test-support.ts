// Helpers shared by the specs: seeded inputs and running one computation on a named backend.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions; tf.grads needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { expect } from 'vitest';

/** Deterministic values in [-1, 1) (mulberry32), so a failure reproduces. */
export function randomValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `fn` with `backend` active and returns copies of its outputs' values and shapes. */
export async function runOn(
  backend: string,
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  await tf.setBackend(backend);
  const result = tf.tidy(fn);
  const list = Array.isArray(result) ? result : [result];
  const out = { values: list.map((t) => Float32Array.from(t.dataSync() as ArrayLike<number>)), shapes: list.map((t) => t.shape) };
  tf.dispose(list);
  return out;
}

/** Element-wise |a - e| <= atol + rtol * |e| (NaN only where NaN is expected), reporting the first offending index. */
export function expectClose(actual: Float32Array, expected: Float32Array, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Number.isNaN(expected[i]) && Number.isNaN(actual[i])) continue;
    if (actual[i] === expected[i]) continue; // equal infinities
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      expect.fail(`index ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff})`);
    }
  }
}
