import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, broadcastStrides, float32Values, sizeOf } from './kernel-io.ts';

/**
 * float32 Add/Sub/Multiply/RealDiv (the kernels of the addon's opCodes.binary) with numpy
 * broadcasting in one native pass. The cpu backend's broadcasting path converts every flat index to
 * coordinates in JS, which is what made the attention-mask and LayerNorm broadcasts slow.
 */
export function binaryKernels(addon: NativeAddon): tf.KernelConfig[] {
  return Object.entries(addon.opCodes.binary).map(([kernelName, op]) => {
    return nativeKernel(kernelName, (args, backend) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const aValues = float32Values(backend, a);
      const bValues = float32Values(backend, b);
      if (aValues === undefined || bValues === undefined) return undefined;
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = allocOutput(backend, sizeOf(outShape));
      addon.binary(op, aValues, bValues, out, outShape, broadcastStrides(a.shape, outShape),
        broadcastStrides(b.shape, outShape));
      return backend.makeTensorInfo(outShape, 'float32', out);
    });
  });
}

export function erfKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('Erf', (args, backend) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const values = float32Values(backend, x);
    if (values === undefined) return undefined;
    const out = allocOutput(backend, values.length);
    addon.erf(values, out);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  });
}

/** Softmax over the last axis (the only axis tf.softmax supports). */
export function softmaxKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('Softmax', (args, backend) => {
    const { logits } = args.inputs as { logits: tf.TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const rank = logits.shape.length;
    const values = float32Values(backend, logits);
    const cols = logits.shape[rank - 1];
    if (values === undefined || rank === 0 || (dim !== -1 && dim !== rank - 1) || cols === 0) return undefined;
    const out = allocOutput(backend, values.length);
    addon.softmax(values, out, cols);
    return backend.makeTensorInfo(logits.shape, 'float32', out);
  });
}
