import * as tf from '@tensorflow/tfjs-core';
import { activeNative, isFloat32, pooledTensor, values, type NativeContext } from './native-context.ts';

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
    const stats = rowStats(xIn.size / gammaIn.size);
    const value = pooledTensor(backend, xIn.shape, (out) =>
      addon.layerNorm(values(backend, xIn), values(backend, gammaIn), values(backend, betaIn), out, stats.mean, stats.rstd, epsilon));
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => layerNormGrad(native, dy, saved, stats) };
  });
  return op(x, weight, bias);
}

/**
 * `layerNorm(x + residual)`: the residual add of a transformer block fused into the LayerNorm (one
 * native pass that also keeps the sum for the backward pass, whose gradient goes to both inputs).
 */
export function addLayerNorm(x: tf.Tensor, residual: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor {
  const native = activeNative();
  const isSameShape = x.rank === residual.rank && x.shape.every((d, i) => d === residual.shape[i]);
  if (native === undefined || !isSameShape || !isFloat32(native.backend, [x, residual, weight, bias])) {
    return layerNorm(tf.add(x, residual), weight, bias, epsilon);
  }
  const { addon, backend } = native;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, rIn, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const stats = rowStats(xIn.size / gammaIn.size);
    let sum: tf.Tensor | undefined;
    const value = pooledTensor(backend, xIn.shape, (out) => {
      sum = pooledTensor(backend, xIn.shape, (s) =>
        addon.addLayerNorm(values(backend, xIn), values(backend, rIn), values(backend, gammaIn), values(backend, betaIn), s, out,
          stats.mean, stats.rstd, epsilon));
    });
    save([sum!, gammaIn]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [dx, dGamma, dBeta] = layerNormGrad(native, dy, saved, stats);
        return [dx, tf.clone(dx), dGamma, dBeta]; // d(x + residual) flows to both; a clone shares storage
      },
    };
  });
  return op(x, residual, weight, bias);
}

/** Per-row statistics kept with one LayerNorm call for its backward pass: 2 floats a row. */
function rowStats(rows: number): { mean: Float32Array; rstd: Float32Array } {
  return { mean: new Float32Array(rows), rstd: new Float32Array(rows) };
}

/** [dx, dGamma, dBeta] of a LayerNorm from its input and gamma (`saved`) and row statistics. */
function layerNormGrad(
  { addon, backend }: NativeContext,
  dy: tf.Tensor,
  saved: tf.Tensor[],
  stats: { mean: Float32Array; rstd: Float32Array },
): tf.Tensor[] {
  const [xs, gamma] = saved;
  const dGamma = new Float32Array(gamma.size);
  const dBeta = new Float32Array(gamma.size);
  const dx = pooledTensor(backend, xs.shape, (out) =>
    addon.layerNormGrad(values(backend, dy), values(backend, xs), values(backend, gamma), stats.mean, stats.rstd, out, dGamma, dBeta));
  return [dx, tf.tensor(dGamma, gamma.shape, 'float32'), tf.tensor(dBeta, gamma.shape, 'float32')];
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
