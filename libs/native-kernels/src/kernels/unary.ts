import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, float32Values } from './kernel-io.ts';

/**
 * One native kernel per entry of the addon's opCodes.unary (Neg, Exp, Sqrt, ...): the cpu backend
 * loops over these in JS, and runs Neg as a broadcasting multiply.
 */
export function unaryKernels(addon: NativeAddon): tf.KernelConfig[] {
  return Object.entries(addon.opCodes.unary).map(([kernelName, op]) => {
    return nativeKernel(kernelName, (args, backend) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const values = float32Values(backend, x);
      if (values === undefined) return undefined;
      const out = allocOutput(backend, values.length);
      addon.unary(op, values, out);
      return backend.makeTensorInfo(x.shape, 'float32', out);
    });
  });
}
