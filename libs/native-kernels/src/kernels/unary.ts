import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, float32Values, int32Values, sizeOf } from './kernel-io.ts';

/** Op codes of native/kernels.h UnaryOp. Neg matters most: cpu runs it as a broadcasting multiply. */
const unaryOps = {
  Neg: 0,
  Exp: 1,
  Square: 2,
  Floor: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Tanh: 6,
  Log: 7,
  Abs: 8,
  Sigmoid: 9,
  Relu: 10,
  Reciprocal: 11,
  Ceil: 12,
} as const;

export function unaryKernels(addon: NativeAddon): tf.KernelConfig[] {
  return (Object.keys(unaryOps) as (keyof typeof unaryOps)[]).map((kernelName) => {
    return nativeKernel(kernelName, (args, backend) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const values = float32Values(backend, x);
      if (values === undefined) return undefined;
      const out = allocOutput(backend, values.length);
      addon.unary(unaryOps[kernelName], values, out);
      return backend.makeTensorInfo(x.shape, 'float32', out);
    });
  });
}

/** GatherV2 of float32 rows by int32 indices (batchDims 0): the embedding lookup. */
export function gatherKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('GatherV2', (args, backend) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const values = float32Values(backend, x);
    const ids = int32Values(backend, indices);
    if (values === undefined || ids === undefined || (batchDims ?? 0) !== 0) return undefined;
    const [parsedAxis] = tf.util.parseAxisParam(axis, x.shape);
    const dimSize = x.shape[parsedAxis];
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= dimSize) {
        throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${dimSize - 1}]`);
      }
    }
    const outer = sizeOf(x.shape.slice(0, parsedAxis));
    const inner = sizeOf(x.shape.slice(parsedAxis + 1));
    const out = allocOutput(backend, outer * ids.length * inner);
    addon.gather(values, ids, out, outer, dimSize, inner);
    const outShape = [...x.shape.slice(0, parsedAxis), ...indices.shape, ...x.shape.slice(parsedAxis + 1)];
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}

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
