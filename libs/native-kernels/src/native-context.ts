// What the fused ops need to run natively: the addon and the active native backend's storage.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.ts';
import { allocOutput } from './kernels/kernel-io.ts';
import { NATIVE_BACKEND_NAME } from './native-backend.ts';

export interface NativeContext {
  addon: NativeAddon;
  backend: MathBackendCPU;
}

/** The addon and backend when 'native' is the active backend, else `undefined`. */
export function activeNative(): NativeContext | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND_NAME) return undefined;
  const loaded = loadAddon();
  const backend = tf.backend();
  if (!loaded.ok || !(backend instanceof MathBackendCPU)) return undefined;
  return { addon: loaded.addon, backend };
}

/** True when 'native' is the active backend (the fused ops then run in one native pass). */
export function isNativeActive(): boolean {
  return activeNative() !== undefined;
}

export function isFloat32(backend: MathBackendCPU, tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32' && backend.data.get(t.dataId).values instanceof Float32Array);
}

/** The tensor's own storage (no copy). */
export function values(backend: MathBackendCPU, t: tf.Tensor): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * A float32 tensor of `shape` whose storage `fill` writes completely, taken from the backend's
 * output pool (contents start as garbage) so steady-state steps allocate nothing new.
 */
export function pooledTensor(backend: MathBackendCPU, shape: number[], fill: (out: Float32Array) => void): tf.Tensor {
  const out = allocOutput(backend, shape.reduce((a, b) => a * b, 1));
  fill(out);
  return tf.tensor(out, shape, 'float32');
}
