import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';
import { totalmem } from 'node:os';
import type { NativeAddon } from './addon.ts';
import { addNKernel } from './kernels/accumulate.ts';
import { binaryKernels, erfKernel, softmaxKernel } from './kernels/elementwise.ts';
import { gatherKernel, unsortedSegmentSumKernel } from './kernels/gather.ts';
import { concatKernel, reduceKernels, transposeKernel } from './kernels/layout.ts';
import { batchMatMulKernel, fusedMatMulKernel } from './kernels/mat-mul.ts';
import { unaryKernels } from './kernels/unary.ts';

export const NATIVE_BACKEND_NAME = 'native';

/**
 * Default upper bound on memory held by freed output arrays waiting to be reused: enough for every
 * activation of a BERT-base step at batch 8 x seq 128 (~3 GB), at most a quarter of the machine.
 */
export function defaultPoolBytes(): number {
  return Math.min(4096 * 2 ** 20, Math.floor(totalmem() / 4));
}

let poolLimitBytes = defaultPoolBytes();

/**
 * The pooled capacity for an output of `length` floats: `length` rounded up to a quarter of its
 * highest power of two (1024, 1280, 1536, 1792, 2048, ...), so at most 25% is unused.
 */
export function sizeClass(length: number): number {
  if (length <= 4) return length;
  const quarter = 2 ** Math.floor(Math.log2(length)) / 4;
  return Math.ceil(length / quarter) * quarter;
}

/** Sets the output pool's bound for every native backend (0 turns reuse off); oldest arrays go first. */
export function setOutputPoolLimit(bytes: number): void {
  poolLimitBytes = bytes;
}

/**
 * The cpu backend's storage (one Float32Array per tensor, handed to C++ without copies) with
 * native kernels where they pay; every other kernel is the cpu backend's own.
 *
 * Output arrays of native kernels come from a pool: a training step allocates the same shapes
 * every time, and fresh multi-megabyte arrays kept V8 in external-memory GCs (~15% of a step) and
 * the kernel in page faults and unmaps (with 2 threads a BERT-base step took 4.2 s with a 256 MB
 * pool against 3.6 s with every activation pooled). When the pool is over its bound (shapes that
 * changed, e.g. another sequence length), the arrays freed longest ago are dropped first.
 * An array goes back to the pool only when it is safe: it was allocated here, registered to
 * exactly one tensor, never handed out (readSync/read/bufferSync) and never aliased by another
 * tensor (e.g. the cpu Slice kernel's subarray views), and that tensor's data was released.
 */
export class NativeBackend extends MathBackendCPU {
  private readonly freeArrays = new Map<number, Float32Array[]>();
  /** Every pooled array, oldest first (a Set keeps insertion order). */
  private readonly freeOrder = new Set<Float32Array>();
  private pooledBytes = 0;
  /** Pool-born buffers: 'fresh' until registered to a tensor once, then 'owned'. */
  private readonly born = new WeakMap<ArrayBufferLike, 'fresh' | 'owned'>();

  constructor() {
    super();
    // MathBackendCPU logs "install tfjs-node" on its first write in Node; this backend is the answer.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /**
   * An output array of `length` floats; its contents are garbage, so the kernel must write all of it.
   * It is a view of the first `length` floats of a pooled array of `sizeClass(length)` floats, so
   * batches whose shapes differ a little (dynamic padding) still reuse each other's arrays.
   */
  allocFloat32(length: number): Float32Array {
    const capacity = sizeClass(length);
    const reused = this.freeArrays.get(capacity)?.pop();
    const array = reused ?? new Float32Array(capacity);
    if (reused !== undefined) {
      this.freeOrder.delete(reused);
      this.pooledBytes -= reused.byteLength;
    }
    this.born.set(array.buffer, 'fresh');
    return length === capacity ? array : array.subarray(0, length);
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: tf.DataType) {
    this.claim(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: object, values: backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number) {
    this.claim(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: object): backend_util.BackendValues {
    const values = super.readSync(dataId);
    this.escape(values);
    return values;
  }

  /**
   * Copies a float32 tensor's values into `target` at `offset` without handing its array out, so
   * that array still goes back to the pool when the tensor is released. False when the tensor's
   * data is not a Float32Array here (the caller then reads it another way).
   */
  copyFloat32Into(dataId: object, target: Float32Array, offset: number): boolean {
    if (!this.data.has(dataId)) return false;
    const values = this.data.get(dataId).values;
    if (!(values instanceof Float32Array)) return false;
    target.set(values, offset);
    return true;
  }

  override bufferSync<R extends tf.Rank, D extends tf.DataType>(t: tf.TensorInfo): tf.TensorBuffer<R, D> {
    if (this.data.has(t.dataId)) this.escape(this.data.get(t.dataId).values);
    return super.bufferSync<R, D>(t);
  }

  override disposeData(dataId: object, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && this.born.get(values.buffer) === 'owned') {
      this.born.delete(values.buffer);
      const whole = values.byteLength === values.buffer.byteLength ? values : new Float32Array(values.buffer);
      if (whole.byteLength <= poolLimitBytes) {
        while (this.pooledBytes + whole.byteLength > poolLimitBytes) this.dropOldest();
        const list = this.freeArrays.get(whole.length) ?? [];
        list.push(whole);
        this.freeArrays.set(whole.length, list);
        this.freeOrder.add(whole);
        this.pooledBytes += whole.byteLength;
      }
    }
    return released;
  }

  /** Bytes held by freed arrays waiting for reuse. */
  get pooledByteCount(): number {
    return this.pooledBytes;
  }

  private dropOldest(): void {
    const oldest = this.freeOrder.values().next().value as Float32Array;
    this.freeOrder.delete(oldest);
    const list = this.freeArrays.get(oldest.length) as Float32Array[];
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.freeArrays.delete(oldest.length);
    this.pooledBytes -= oldest.byteLength;
  }

  override dispose(): void {
    this.freeArrays.clear();
    this.freeOrder.clear();
    this.pooledBytes = 0;
    super.dispose();
  }

  /**
   * A pool-born array becomes owned by its first tensor (the view allocFloat32 returned, at offset
   * 0); any second registration (an alias) disowns it.
   */
  private claim(values: backend_util.BackendValues | undefined): void {
    if (!ArrayBuffer.isView(values)) return;
    const state = this.born.get(values.buffer);
    if (state === 'fresh' && values.byteOffset === 0) {
      this.born.set(values.buffer, 'owned');
    } else if (state !== undefined) {
      this.born.delete(values.buffer);
    }
  }

  /** Handed out of the backend: someone else may hold it now, so it is never reused. */
  private escape(values: backend_util.BackendValues | undefined): void {
    if (ArrayBuffer.isView(values)) this.born.delete(values.buffer);
  }
}

/** The one list of the native backend's kernels (each family's file under kernels/). */
function nativeKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    batchMatMulKernel(addon),
    fusedMatMulKernel(addon),
    ...binaryKernels(addon),
    erfKernel(addon),
    softmaxKernel(addon),
    unsortedSegmentSumKernel(addon),
    transposeKernel(addon),
    concatKernel(),
    ...reduceKernels(addon),
    ...unaryKernels(addon),
    gatherKernel(addon),
    addNKernel(addon),
  ];
}

/** Kernel names with a native implementation, for logs and the benchmark. */
export function nativeKernelNames(addon: NativeAddon): string[] {
  return nativeKernels(addon).map((k) => k.kernelName);
}

/**
 * Registers the 'native' backend and its kernels once: every cpu kernel under the new name, then
 * the native ones over them. Priority 0: it is used only when chosen by name (tf.setBackend).
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackendFactory(NATIVE_BACKEND_NAME) == null) {
    tf.registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(), 0);
  }
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND_NAME) === undefined) {
      tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME });
    }
  }
  for (const config of nativeKernels(addon)) {
    if (tf.getKernel(config.kernelName, NATIVE_BACKEND_NAME) !== undefined) {
      tf.unregisterKernel(config.kernelName, NATIVE_BACKEND_NAME);
    }
    tf.registerKernel(config);
  }
}
