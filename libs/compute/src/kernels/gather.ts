import * as tf from '@tensorflow/tfjs-core';
import { allocateOutput, inputView } from './kernel-io.ts';

/**
 * `GatherV2` (batchDims 0) as row copies: `out[o, i, :] = x[o, indices[i], :]`. The wasm backend's
 * own gather is ~10x slower on embedding tables; other cases go to the backend's kernel.
 * Throws, as TensorFlow does, for an index outside [0, x.shape[axis]).
 */
export function gatherRows(
  x: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> },
  xShape: readonly number[],
  axis: number,
  indices: ArrayLike<number>,
  out: Float32Array | Int32Array,
): void {
  const outer = xShape.slice(0, axis).reduce((a, b) => a * b, 1);
  const axisSize = xShape[axis];
  const inner = xShape.slice(axis + 1).reduce((a, b) => a * b, 1);
  let dst = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i];
      if (index < 0 || index >= axisSize) throw new Error(`GatherV2: indices[${i}] = ${index} is not in [0, ${axisSize - 1}]`);
      const src = (o * axisSize + index) * inner;
      out.set(x.subarray(src, src + inner) as Float32Array, dst);
      dst += inner;
    }
  }
}

export function gatherKernel(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'GatherV2',
    backendName: fallback.backendName,
    setupFunc: fallback.setupFunc, // the fallback's wasm bindings are set up with the backend
    disposeFunc: fallback.disposeFunc,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis: axisAttr, batchDims } = attrs as { axis: number; batchDims: number };
      if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return fallback.kernelFunc(args);
      const axis = tf.util.parseAxisParam(axisAttr, x.shape)[0];
      const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
      const { info, values: out } = allocateOutput(backend, outShape, x.dtype);
      try {
        gatherRows(inputView(backend, x) as Float32Array, x.shape, axis, inputView(backend, indices), out);
      } catch (error) {
        (backend as { disposeData(id: unknown): void }).disposeData(info.dataId);
        throw error;
      }
      return info;
    },
  };
}
