import type * as tf from '@tensorflow/tfjs-core';

type TypedArray = Float32Array | Int32Array | Uint8Array;

/** The backend methods JS kernels need; the cpu and wasm backends name the writer differently. */
interface KernelBackend {
  readSync(dataId: unknown): unknown;
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: TypedArray): tf.TensorInfo;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: TypedArray): tf.TensorInfo;
  typedArrayFromHeap?(info: tf.TensorInfo): TypedArray;
}

/** Reads a kernel input's values synchronously (cpu: JS array, wasm: a view of the heap). */
export function readInput(backend: unknown, info: tf.TensorInfo): TypedArray {
  return (backend as KernelBackend).readSync(info.dataId) as TypedArray;
}

/**
 * A kernel input's values without a copy where the backend allows it (wasm: a view of the heap).
 * Take views AFTER allocating outputs: allocating can grow the wasm heap and detach older views.
 */
export function inputView(backend: unknown, info: tf.TensorInfo): TypedArray {
  const kb = backend as KernelBackend;
  if (typeof kb.makeTensorInfo !== 'function' && typeof kb.typedArrayFromHeap === 'function') return kb.typedArrayFromHeap(info);
  return readInput(backend, info);
}

/**
 * An output the kernel writes into directly: on wasm a view of the wasm heap (no JS allocation,
 * no copy; NOT zeroed), on cpu a fresh zeroed array the backend keeps. Read inputs first (wasm's
 * readSync returns copies): allocating can grow the wasm heap, which detaches older heap views.
 */
export function allocateOutput(backend: unknown, shape: number[], dtype: 'float32' | 'int32'): { info: tf.TensorInfo; values: Float32Array | Int32Array } {
  const kb = backend as KernelBackend;
  const size = shape.reduce((a, b) => a * b, 1);
  if (typeof kb.makeTensorInfo === 'function') {
    const values = dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
    return { info: kb.makeTensorInfo(shape, dtype, values), values };
  }
  if (typeof kb.makeOutput === 'function' && typeof kb.typedArrayFromHeap === 'function') {
    const info = kb.makeOutput(shape, dtype);
    return { info, values: kb.typedArrayFromHeap(info) as Float32Array | Int32Array };
  }
  throw new Error('JS kernel: backend has neither makeTensorInfo nor makeOutput/typedArrayFromHeap');
}
