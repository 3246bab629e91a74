import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { allocOutput, nativeKernel, float32Values, sizeOf, stridesOf } from './kernel-io.ts';

export function transposeKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('Transpose', (args, backend) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const values = float32Values(backend, x);
    if (values === undefined || x.shape.length === 0 || x.shape.length > 8) return undefined;
    const out = transposeValues(addon, values, x.shape, perm, allocOutput(backend, values.length));
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]), 'float32', out);
  });
}

/** `out` defaults to a plain array: a scratch buffer that never becomes a tensor. */
function transposeValues(
  addon: NativeAddon,
  values: Float32Array,
  shape: number[],
  perm: number[],
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  const strides = stridesOf(shape);
  addon.transpose(values, out, perm.map((p) => shape[p]), perm.map((p) => strides[p]));
  return out;
}

/**
 * Sum (and Mean) of float32 over any axes. Contiguous axes are summed in place as
 * `[outer, reduce, inner]`; other axis sets are first moved to the end by a native transpose.
 */
function reduceKernel(addon: NativeAddon, kernelName: 'Sum' | 'Mean'): tf.KernelConfig {
  return nativeKernel(kernelName, (args, backend) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const values = float32Values(backend, x);
    const rank = x.shape.length;
    if (values === undefined || rank === 0 || rank > 8) return undefined;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    const reduce = sizeOf(axes.map((a) => x.shape[a]));
    // No axes is a copy, and an empty mean is NaN: both stay with the cpu kernel.
    if (axes.length === 0 || reduce === 0) return undefined;
    const scale = kernelName === 'Mean' && reduce > 0 ? 1 / reduce : 1;
    const kept = x.shape.filter((_, d) => !axes.includes(d));
    const outShape = keepDims ? x.shape.map((s, d) => (axes.includes(d) ? 1 : s)) : kept;
    const out = allocOutput(backend, sizeOf(kept));
    const isContiguous = axes[axes.length - 1] - axes[0] === axes.length - 1;
    if (isContiguous) {
      const outer = sizeOf(x.shape.slice(0, axes[0]));
      const inner = sizeOf(x.shape.slice(axes[axes.length - 1] + 1));
      addon.reduceSum(values, out, outer, reduce, inner, scale);
    } else {
      const perm = [...x.shape.keys()].filter((d) => !axes.includes(d)).concat(axes);
      const moved = transposeValues(addon, values, x.shape, perm);
      addon.reduceSum(moved, out, sizeOf(kept), reduce, 1, scale);
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}

/**
 * Concat of float32 tensors along any axis into a pooled output (the cpu kernel allocates a fresh
 * zeroed array every call): `outer` runs of one contiguous block per input, copied with `set`.
 */
export function concatKernel(): tf.KernelConfig {
  return nativeKernel('Concat', (args, backend) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const { axis } = args.attrs as { axis: number };
    const arrays = inputs.map((t) => float32Values(backend, t));
    if (inputs.length < 2 || arrays.some((a) => a === undefined || a.length === 0)) return undefined;
    const [parsedAxis] = tf.util.parseAxisParam(axis, inputs[0].shape);
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, parsedAxis);
    const outShape = tf.backend_util.computeOutShape(shapes, parsedAxis);
    const outer = sizeOf(outShape.slice(0, parsedAxis));
    const blocks = shapes.map((shape) => sizeOf(shape.slice(parsedAxis))); // floats per input per outer index
    const out = allocOutput(backend, sizeOf(outShape));
    let offset = 0;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < arrays.length; i++) {
        out.set((arrays[i] as Float32Array).subarray(o * blocks[i], (o + 1) * blocks[i]), offset);
        offset += blocks[i];
      }
    }
    return backend.makeTensorInfo(outShape, 'float32', out);
  });
}

export function reduceKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [reduceKernel(addon, 'Sum'), reduceKernel(addon, 'Mean')];
}
