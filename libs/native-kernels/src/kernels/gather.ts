// The embedding lookup and its gradient on the native backend; libs/compute has the JS versions for
// wasm and cpu, and both take their shapes and index checks from gather-plan.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.ts';
import { checkGatherIndices, planGather, planSegmentSum } from './gather-plan.ts';
import { allocOutput, nativeKernel, float32Values, int32Values } from './kernel-io.ts';

/** GatherV2 of float32 rows by int32 indices (batchDims 0): the embedding lookup. */
export function gatherKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('GatherV2', (args, backend) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const values = float32Values(backend, x);
    const ids = int32Values(backend, indices);
    if (values === undefined || ids === undefined || (batchDims ?? 0) !== 0) return undefined;
    const plan = planGather(x.shape, indices.shape, axis);
    checkGatherIndices(ids, plan.dimSize);
    const out = allocOutput(backend, plan.outer * ids.length * plan.inner);
    addon.gather(values, ids, out, plan.outer, plan.dimSize, plan.inner);
    return backend.makeTensorInfo(plan.outShape, 'float32', out);
  });
}

/** Sums rows of `x` into `numSegments` rows: the gradient of tf.gather (embedding lookup). */
export function unsortedSegmentSumKernel(addon: NativeAddon): tf.KernelConfig {
  return nativeKernel('UnsortedSegmentSum', (args, backend) => {
    const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = args.attrs as { numSegments: number };
    const values = float32Values(backend, x);
    const ids = int32Values(backend, segmentIds);
    if (values === undefined || ids === undefined) return undefined;
    const plan = planSegmentSum(x.shape, segmentIds.shape, numSegments);
    const out = allocOutput(backend, numSegments * plan.inner);
    addon.unsortedSegmentSum(values, ids, out, plan.inner, numSegments);
    return backend.makeTensorInfo(plan.outShape, 'float32', out);
  });
}
