// UnsortedSegmentSum for wasm and cpu in plain JS; the native backend has its own (libs/native-kernels),
// and both take their shapes from native-kernels' planSegmentSum.
import type * as tf from '@tensorflow/tfjs-core';
import { planSegmentSum } from '@tunefleet/native-kernels';
import { allocateOutput, readInput } from './kernel-io.ts';

/**
 * `UnsortedSegmentSum` in plain JS: one pass over the rows of `x`, adding each into its segment of
 * `out` (which the caller zeroes). The gradient of `tf.gather` (the embedding lookup) is this op.
 * The wasm backend has no such kernel and the cpu backend's loops once per segment (per vocabulary
 * row), so both get this one. Segment ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export function unsortedSegmentSum(
  x: ArrayLike<number>,
  xShape: readonly number[],
  segmentIds: ArrayLike<number>,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  const { rows, inner } = planSegmentSum(xShape, [segmentIds.length], numSegments);
  for (let r = 0; r < rows; r++) {
    const segment = segmentIds[r];
    if (segment < 0 || segment >= numSegments) continue;
    const src = r * inner;
    const dst = segment * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}

export function unsortedSegmentSumKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const { outShape } = planSegmentSum(x.shape, segmentIds.shape, numSegments);
      const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
      // Inputs are read (copied) first; the heap view of the output is taken last, after any growth.
      const ids = readInput(backend, segmentIds);
      const values = readInput(backend, x);
      const { info, values: out } = allocateOutput(backend, outShape, dtype);
      out.fill(0);
      unsortedSegmentSum(values, x.shape, ids, numSegments, out);
      return info;
    },
  };
}
