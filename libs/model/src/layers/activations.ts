import * as tf from '@tensorflow/tfjs-core';
import { gelu } from '../bert/ops.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** transformers' "gelu_new" / "gelu_pytorch_tanh" (GPT-2): `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.square(x), x), 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  });
}

/** An activation by its transformers name (`ACT2FN`): the ones the decoder families use. */
export function activation(name: 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu' | 'relu' | 'silu', x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return geluTanh(x);
    case 'gelu':
      return gelu(x);
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
  }
}

/** Llama's RMSNorm: `weight * x / sqrt(mean(x^2) + eps)` over the last axis (in float32). */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true); // [rows, 1]
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight) as tf.Tensor2D;
  });
}
