// Shapes and index checks of the embedding lookup (GatherV2) and its gradient (UnsortedSegmentSum),
// shared by the native kernels here and libs/compute's JS kernels for wasm and cpu: each backend
// keeps its own loop, but what the inputs mean and which ones are refused is decided once.
import * as tf from '@tensorflow/tfjs-core';
import { KernelInputError } from '../kernel-input-error.ts';
import { sizeOf } from './kernel-io.ts';

/** GatherV2 with batchDims 0: x viewed as [outer, dimSize, inner]; out[o, i, :] = x[o, indices[i], :]. */
export interface GatherPlan {
  /** [...x.shape before axis, ...indices.shape, ...x.shape after axis] */
  outShape: number[];
  outer: number;
  dimSize: number;
  inner: number;
}

export function planGather(xShape: readonly number[], indicesShape: readonly number[], axis: number): GatherPlan {
  const [parsedAxis] = tf.util.parseAxisParam(axis, [...xShape]);
  return {
    outShape: [...xShape.slice(0, parsedAxis), ...indicesShape, ...xShape.slice(parsedAxis + 1)],
    outer: sizeOf(xShape.slice(0, parsedAxis)),
    dimSize: xShape[parsedAxis],
    inner: sizeOf(xShape.slice(parsedAxis + 1)),
  };
}

/** Throws, as TensorFlow does, for the first index outside [0, dimSize). */
export function checkGatherIndices(indices: ArrayLike<number>, dimSize: number): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (index < 0 || index >= dimSize) {
      throw new KernelInputError('KERNEL_INDEX_OUT_OF_RANGE', `GatherV2: indices[${i}] = ${index} is not in [0, ${dimSize - 1}]`);
    }
  }
}

/** UnsortedSegmentSum: x viewed as [rows, inner] (rows = segment ids), out as [numSegments, inner]. */
export interface SegmentSumPlan {
  /** [numSegments, ...x.shape after the segmented dims] */
  outShape: number[];
  rows: number;
  inner: number;
}

/** Segment ids outside [0, numSegments) are not an error: their rows are dropped, as TensorFlow does. */
export function planSegmentSum(xShape: readonly number[], segmentIdsShape: readonly number[], numSegments: number): SegmentSumPlan {
  const innerShape = xShape.slice(segmentIdsShape.length);
  const rows = sizeOf(segmentIdsShape);
  return {
    outShape: [numSegments, ...innerShape],
    rows,
    inner: rows === 0 ? sizeOf(innerShape) : sizeOf(xShape) / rows,
  };
}
