import * as tf from '@tensorflow/tfjs-core';
import { activeNative, isFloat32, pooledTensor, values } from './native-context.ts';

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
    save([xIn, gammaIn]);
    const rows = xIn.size / gammaIn.size;
    // Per-row statistics stay with this call for the backward pass: 2 floats a row.
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    const value = pooledTensor(backend, xIn.shape, (out) =>
      addon.layerNorm(values(backend, xIn), values(backend, gammaIn), values(backend, betaIn), out, mean, rstd, epsilon));
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gamma] = saved;
        const dGamma = new Float32Array(gamma.size);
        const dBeta = new Float32Array(gamma.size);
        const dx = pooledTensor(backend, xs.shape, (out) =>
          addon.layerNormGrad(values(backend, dy), values(backend, xs), values(backend, gamma), mean, rstd, out, dGamma, dBeta));
        return [dx, tf.tensor(dGamma, gamma.shape, 'float32'), tf.tensor(dBeta, gamma.shape, 'float32')];
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
    return {
      value: pooledTensor(backend, xIn.shape, (out) => addon.gelu(values(backend, xIn), out)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        pooledTensor(backend, saved[0].shape, (out) => addon.geluGrad(values(backend, saved[0]), values(backend, dy), out)),
      ],
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
