import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.ts';
import { NATIVE_BACKEND_NAME } from './native-backend.ts';

/**
 * Fused ops for models: one native pass forward and one backward on the 'native' backend, the same
 * composition of tfjs ops (and autograd) anywhere else. Values agree within float32 rounding.
 */

/** LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor {
  const native = activeNative();
  if (native === undefined || !isFloat32(native.backend, [x, weight, bias])) return composedLayerNorm(x, weight, bias, epsilon);
  const { addon, backend } = native;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xIn, gammaIn, betaIn]);
    const rows = xIn.size / gammaIn.size;
    const out = new Float32Array(xIn.size);
    addon.layerNorm(values(backend, xIn), values(backend, gammaIn), values(backend, betaIn), out, new Float32Array(rows),
      new Float32Array(rows), epsilon);
    return {
      value: tf.tensor(out, xIn.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gamma, beta] = saved;
        const xv = values(backend, xs);
        const mean = new Float32Array(rows);
        const rstd = new Float32Array(rows);
        // Mean and 1/std again rather than saved: one cheap pass, and nothing extra held between passes.
        addon.layerNorm(xv, values(backend, gamma), values(backend, beta), new Float32Array(xs.size), mean, rstd, epsilon);
        const dx = new Float32Array(xs.size);
        const dGamma = new Float32Array(gamma.size);
        const dBeta = new Float32Array(gamma.size);
        addon.layerNormGrad(values(backend, dy), xv, values(backend, gamma), mean, rstd, dx, dGamma, dBeta);
        return [tf.tensor(dx, xs.shape, 'float32'), tf.tensor(dGamma, gamma.shape, 'float32'), tf.tensor(dBeta, gamma.shape, 'float32')];
      },
    };
  });
  return op(x, weight, bias);
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`: Hugging Face's "gelu". */
export function gelu(x: tf.Tensor): tf.Tensor {
  const native = activeNative();
  if (native === undefined || !isFloat32(native.backend, [x])) return composedGelu(x);
  const { addon, backend } = native;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([xIn]);
    const out = new Float32Array(xIn.size);
    addon.gelu(values(backend, xIn), out);
    return {
      value: tf.tensor(out, xIn.shape, 'float32'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dx = new Float32Array(saved[0].size);
        addon.geluGrad(values(backend, saved[0]), values(backend, dy), dx);
        return [tf.tensor(dx, saved[0].shape, 'float32')];
      },
    };
  });
  return op(x);
}

function composedLayerNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), weight), bias);
  });
}

function composedGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

function activeNative(): { addon: NativeAddon; backend: MathBackendCPU } | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND_NAME) return undefined;
  const loaded = loadAddon();
  const backend = tf.backend();
  if (!loaded.ok || !(backend instanceof MathBackendCPU)) return undefined;
  return { addon: loaded.addon, backend };
}

function isFloat32(backend: MathBackendCPU, tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32' && backend.data.get(t.dataId).values instanceof Float32Array);
}

function values(backend: MathBackendCPU, t: tf.Tensor): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}
