// GatherV2 for wasm as row copies; the native backend has its own (libs/native-kernels), and both
// take their shapes and index check from native-kernels' planGather/checkGatherIndices.
import * as tf from '@tensorflow/tfjs-core';
import { checkGatherIndices, planGather, type GatherPlan } from '@tunefleet/native-kernels';
import { allocateOutput, inputView } from './kernel-io.ts';

/** `out[o, i, :] = x[o, indices[i], :]` for x viewed as [outer, dimSize, inner] (indices already checked). */
export function gatherRows(
  x: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> },
  plan: GatherPlan,
  indices: ArrayLike<number>,
  out: Float32Array | Int32Array,
): void {
  const { outer, dimSize, inner } = plan;
  let dst = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < indices.length; i++) {
      const src = (o * dimSize + indices[i]) * inner;
      out.set(x.subarray(src, src + inner) as Float32Array, dst);
      dst += inner;
    }
  }
}

/**
 * `GatherV2` (batchDims 0, float32 or int32) as row copies: the wasm backend's own gather is ~10x
 * slower on embedding tables; other cases go to `fallback`, the backend's kernel. Throws, as
 * TensorFlow does, for an index outside [0, x.shape[axis]).
 */
export function gatherKernel(fallback: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'GatherV2',
    backendName: fallback.backendName,
    setupFunc: fallback.setupFunc, // the fallback's wasm bindings are set up with the backend
    disposeFunc: fallback.disposeFunc,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = attrs as { axis: number; batchDims: number };
      if (batchDims !== 0 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return fallback.kernelFunc(args);
      const plan = planGather(x.shape, indices.shape, axis);
      const { info, values: out } = allocateOutput(backend, plan.outShape, x.dtype);
      // Views after the allocation: it can grow the wasm heap, which detaches older views.
      const ids = inputView(backend, indices);
      try {
        checkGatherIndices(ids, plan.dimSize);
      } catch (error) {
        (backend as { disposeData(id: unknown): void }).disposeData(info.dataId);
        throw error;
      }
      gatherRows(inputView(backend, x) as Float32Array, plan, ids, out);
      return info;
    },
  };
}
