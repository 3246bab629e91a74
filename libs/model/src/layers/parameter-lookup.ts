import type * as tf from '@tensorflow/tfjs-core';
import { dense } from '../bert/ops.ts';

/** Looks a parameter up by its Hugging Face name (`bert.encoder.layer.0.output.dense.weight`). */
export type ParameterLookup = (name: string) => tf.Tensor;

/** A Linear layer by module name: `${name}.weight` `[out, in]`, `${name}.bias` `[out]`. */
export function linear(p: ParameterLookup, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return dense(x, p(`${name}.weight`) as tf.Tensor2D, p(`${name}.bias`) as tf.Tensor1D);
}

/** A 1-D parameter (LayerNorm weight or bias) by its full name. */
export function vector(p: ParameterLookup, name: string): tf.Tensor1D {
  return p(name) as tf.Tensor1D;
}
