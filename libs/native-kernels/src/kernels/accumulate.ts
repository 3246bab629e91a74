import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, float32Values, sizeOf } from './kernel-io.ts';

/** AddN of float32 tensors: how autograd sums the gradients of a tensor used more than once. */
export function addNKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('AddN', (args, backend) => {
    const tensors = args.inputs as unknown as tf.TensorInfo[];
    const arrays = tensors.map((t) => float32Values(backend, t));
    const size = tensors.length > 0 ? sizeOf(tensors[0].shape) : 0;
    const isNative = tensors.length > 0 && arrays.every((a) => a !== undefined && a.length === size);
    if (!isNative) return undefined;
    const out = allocOutput(backend, size);
    addon.addN(arrays as Float32Array[], out);
    return backend.makeTensorInfo(tensors[0].shape, 'float32', out);
  });
}
