import type * as tf from '@tensorflow/tfjs-core';
import { allocateOutput, readInput } from './kernel-io.ts';

/**
 * `UnsortedSegmentSum` in plain JS: one pass over the rows of `x`, adding each into its segment.
 * The gradient of `tf.gather` (the embedding lookup) is this op. The wasm backend has no such kernel
 * and the cpu backend's loops once per segment (per vocabulary row), so both get this one.
 * Segment ids outside [0, numSegments) are dropped, as TensorFlow does.
 */
export function unsortedSegmentSum(
  x: ArrayLike<number>,
  xShape: readonly number[],
  segmentIds: ArrayLike<number>,
  numSegments: number,
  out: Float32Array | Int32Array,
): void {
  const rows = segmentIds.length;
  const inner = rows === 0 ? 0 : sizeOf(xShape) / rows; // elements per row of x
  for (let r = 0; r < rows; r++) {
    const segment = segmentIds[r];
    if (segment < 0 || segment >= numSegments) continue;
    const src = r * inner;
    const dst = segment * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function unsortedSegmentSumKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      // [numSegments, ...x.shape after the segmented dims]
      const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
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
