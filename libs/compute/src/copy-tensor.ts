import * as tf from '@tensorflow/tfjs-core';

interface CopiesWithoutReading {
  copyFloat32Into(dataId: object, target: Float32Array, offset: number): boolean;
}

function copiesWithoutReading(backend: tf.KernelBackend): backend is tf.KernelBackend & CopiesWithoutReading {
  return typeof (backend as Partial<CopiesWithoutReading>).copyFloat32Into === 'function';
}

/**
 * Copies a float32 tensor's values into `target` starting at `offset`. On the native backend this
 * reads the tensor's storage directly, so its array can be reused once the tensor is disposed
 * (`dataSync` hands the array out, and an array handed out is never reused); elsewhere it is
 * `target.set(t.dataSync(), offset)`.
 */
export function copyTensorInto(t: tf.Tensor, target: Float32Array, offset: number): void {
  if (t.dtype !== 'float32') throw new TypeError(`copyTensorInto: expected a float32 tensor, got ${t.dtype}`);
  if (offset < 0 || offset + t.size > target.length) {
    throw new RangeError(`copyTensorInto: ${t.size} values at offset ${offset} do not fit a target of ${target.length}`);
  }
  const backend = tf.backend();
  if (copiesWithoutReading(backend) && backend.copyFloat32Into(t.dataId, target, offset)) return;
  target.set(t.dataSync() as Float32Array, offset);
}
