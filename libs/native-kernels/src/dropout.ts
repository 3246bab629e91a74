import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.ts';
import { activeNative, isFloat32, pooledTensor, values } from './native-context.ts';

/**
 * Dropout's keep mask for `size` values: element i is dropped (0) when the i-th uniform draw of
 * mulberry32(`seed`) is < `rate`, else kept (1). Native when the addon is built (any backend: it
 * is host memory), the same stream in JS otherwise; the two are bit-identical.
 */
export function keepMask(seed: number, rate: number, size: number): Uint8Array {
  const keep = new Uint8Array(size);
  const loaded = loadAddon();
  if (loaded.ok) {
    loaded.addon.keepMask(seed >>> 0, rate, keep);
    return keep;
  }
  return keepMaskInJs(seed, rate, keep);
}

/** The JS reference of `keepMask` (exported for the test that holds the two equal). */
export function keepMaskInJs(seed: number, rate: number, keep: Uint8Array): Uint8Array {
  let state = seed >>> 0;
  for (let i = 0; i < keep.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    keep[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 < rate ? 0 : 1;
  }
  return keep;
}

/**
 * Inverted dropout with a given keep mask: `x * (keep ? scale : 0)`. On 'native' one pass each way
 * that holds only the 1-byte mask for the backward pass; elsewhere a multiply by a float mask.
 */
export function applyDropout(x: tf.Tensor, keep: Uint8Array, scale: number): tf.Tensor {
  const native = activeNative();
  if (native === undefined || !isFloat32(native.backend, [x])) {
    const factors = new Float32Array(keep.length);
    for (let i = 0; i < keep.length; i++) factors[i] = keep[i] === 0 ? 0 : scale;
    return tf.mul(x, tf.tensor(factors, x.shape));
  }
  const { addon, backend } = native;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn] = args as [tf.Tensor];
    return {
      value: pooledTensor(backend, xIn.shape, (out) => addon.applyKeepMask(values(backend, xIn), keep, scale, out)),
      gradFunc: (dy: tf.Tensor) => [pooledTensor(backend, dy.shape, (out) => addon.applyKeepMask(values(backend, dy), keep, scale, out))],
    };
  });
  return op(x);
}
