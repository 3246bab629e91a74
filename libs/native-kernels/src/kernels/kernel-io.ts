import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The native backend stores tensors as the cpu backend does: one typed array per tensor in
 * `backend.data`. Kernels hand those arrays to C++ directly.
 */
export function float32Values(backend: MathBackendCPU, info: tf.TensorInfo): Float32Array | undefined {
  if (info.dtype !== 'float32') return undefined;
  const values = backend.data.get(info.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

export function int32Values(backend: MathBackendCPU, info: tf.TensorInfo): Int32Array | undefined {
  if (info.dtype !== 'int32') return undefined;
  const values = backend.data.get(info.dataId).values;
  return values instanceof Int32Array ? values : undefined;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** Strides of `shape` seen as `outShape` under broadcasting: 0 where the dim is broadcast. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, d) => (d < offset || shape[d - offset] === 1 ? 0 : own[d - offset]));
}

/** The cpu backend's implementation of a kernel: the fallback for dtypes and forms not done natively. */
export function cpuKernel(kernelName: string): tf.KernelFunc {
  const config = tf.getKernel(kernelName, 'cpu');
  if (config === undefined) throw new Error(`native backend: cpu kernel ${kernelName} is not registered`);
  return config.kernelFunc;
}

/**
 * A 'native' kernel: `tryNative` computes what it handles and returns undefined for any other dtype
 * or form, which then runs on the cpu backend's kernel.
 */
export function nativeKernel(
  kernelName: string,
  tryNative: (args: Parameters<tf.KernelFunc>[0], backend: MathBackendCPU) => tf.TensorInfo | tf.TensorInfo[] | undefined,
): tf.KernelConfig {
  const fallback = cpuKernel(kernelName);
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => tryNative(args, args.backend as MathBackendCPU) ?? fallback(args),
  };
}

/**
 * An output array for a native kernel: from the native backend's pool when it has one (contents are
 * then garbage: the kernel must write every element), else a new zeroed array.
 */
export function allocOutput(backend: MathBackendCPU, length: number): Float32Array {
  const pooled = backend as MathBackendCPU & { allocFloat32?: (n: number) => Float32Array };
  return typeof pooled.allocFloat32 === 'function' ? pooled.allocFloat32(length) : new Float32Array(length);
}
