// Public API of @tunefleet/native-kernels: a tfjs backend named 'native' (cpu storage + OpenBLAS
// and threaded C++ kernels) and a one-call AdamW update.
import { readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon.ts';
import {
  defaultPoolBytes,
  NATIVE_BACKEND_NAME,
  nativeKernelNames,
  registerNativeBackend,
  setOutputPoolLimit,
} from './native-backend.ts';
import { NativeKernelError } from './native-kernel-error.ts';

export { adamwUpdate, createAdamWMoments, type AdamWHyper, type AdamWMoments } from './adamw.ts';
export { attention, attentionQkv, type AttentionOptions } from './fused-attention.ts';
export { applyDropout, keepMask } from './dropout.ts';
export { addLayerNorm, gelu, layerNorm } from './fused-ops.ts';
export { isNativeActive } from './native-context.ts';
export {
  bf16Support,
  roundToBf16,
  setMatMulPrecision,
  type Bf16Support,
  type MatMulMode,
  type MatMulPrecision,
  type MatMulPrecisionState,
} from './matmul-precision.ts';
export { NativeKernelError, type NativeKernelErrorCode } from './native-kernel-error.ts';
export { KernelInputError, type KernelInputErrorCode } from './kernel-input-error.ts';
export { checkGatherIndices, planGather, planSegmentSum, type GatherPlan, type SegmentSumPlan } from './kernels/gather-plan.ts';
export { NATIVE_BACKEND_NAME } from './native-backend.ts';

export type NativeRegistration = { ok: true; name: 'native'; threads: number } | { ok: false; reason: string };

/**
 * The output pool's bound in bytes: `poolMb` megabytes, or min(4 GiB, a quarter of the memory) when
 * it is undefined. A bad value comes back as the reason string.
 */
function poolLimitFrom(poolMb: number | undefined): number | string {
  if (poolMb === undefined) return defaultPoolBytes();
  if (!Number.isFinite(poolMb) || poolMb < 0) return `poolMb ${poolMb}: the native output pool size must be a number of megabytes >= 0`;
  return Math.floor(poolMb * 2 ** 20);
}

/**
 * Registers the 'native' tfjs backend if the addon is built and loads. Never throws: a missing or
 * broken addon, or a bad thread count or pool size, comes back as `{ ok: false, reason }`. `threads`
 * (default: the CPUs available) is how many threads every native kernel uses, BLAS products
 * included: those are split across the addon's own threads with OpenBLAS single-threaded inside, so
 * exactly `threads` run. `poolMb` bounds the memory that released outputs keep for reuse (0 turns
 * reuse off; default min(4 GiB, a quarter of the memory)). Calling it again only changes the thread
 * count and the pool bound. The caller then runs `await tf.setBackend('native')`.
 */
export async function tryRegisterNativeBackend(
  options: { threads?: number; poolMb?: number } = {},
): Promise<NativeRegistration> {
  try {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      return { ok: false, reason: `threads must be an integer >= 1, got ${threads}` };
    }
    const pool = poolLimitFrom(options.poolMb);
    if (typeof pool === 'string') return { ok: false, reason: pool };
    setOutputPoolLimit(pool);
    const loaded = loadAddon();
    if (!loaded.ok) return { ok: false, reason: loaded.reason };
    const actual = loaded.addon.setThreads(threads);
    registerNativeBackend(loaded.addon);
    return { ok: true, name: NATIVE_BACKEND_NAME, threads: actual };
  } catch (error) {
    return { ok: false, reason: `native backend failed to register: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * `target += source` in the addon (vectorised, over its threads), for the ring all-reduce's reduction;
 * `undefined` when the addon is not built (the caller keeps its JS loop). Lengths must match and the
 * arrays must not overlap, or it throws a RangeError.
 */
export function nativeAddInto(): ((target: Float32Array, source: Float32Array) => void) | undefined {
  const loaded = loadAddon();
  if (!loaded.ok) return undefined;
  const { addon } = loaded;
  return (target, source) => addon.addInto(target, source);
}

/**
 * The zero-block scan of the ring's data plane in the addon: zeroes `mask`, sets bit b (byte b >> 3,
 * bit b & 7) for every block of `blockFloats` floats that holds a word other than +0.0, returns how
 * many; `undefined` when the addon is not built (libs/comm then scans in JS).
 */
export function nativeNonzeroBlocks(): ((values: Float32Array, blockFloats: number, mask: Uint8Array) => number) | undefined {
  const loaded = loadAddon();
  if (!loaded.ok) return undefined;
  const { addon } = loaded;
  return (values, blockFloats, mask) => addon.nonzeroBlocks(values, blockFloats, mask);
}

/** Memory that the worker processes of one machine share (see `nativeSharedMemory`). */
export interface SharedMemoryApi {
  /**
   * A zero-filled, read-write `bytes`-byte buffer in an anonymous memory file, and the path under
   * which another process of this machine (same user, same /proc) opens it while this one keeps the
   * buffer: `/proc/<pid>/fd/<fd>`. Freed when the buffer is garbage-collected and no process maps it.
   */
  create(bytes: number): { buffer: ArrayBuffer; path: string };
  /** The first `bytes` of another process's `create`d memory, mapped read-only. Throws naming the path. */
  open(path: string, bytes: number): ArrayBuffer;
}

/**
 * Shared memory for the ring all-reduce's same-machine data plane (libs/comm takes it by injection);
 * `undefined` when the addon is not built.
 */
export function nativeSharedMemory(): SharedMemoryApi | undefined {
  const loaded = loadAddon();
  if (!loaded.ok) return undefined;
  const { addon } = loaded;
  return {
    create: (bytes) => {
      const { buffer, fd } = addon.sharedMemoryCreate(bytes, SHARED_MEMORY_NAME);
      return { buffer, path: `/proc/${process.pid}/fd/${fd}` };
    },
    open: (path, bytes) => {
      // A neighbour chooses the path: open only another process's tunefleet memory file.
      if (!PROC_FD_PATH.test(path)) throw new NativeKernelError('SHARED_MEMORY_REFUSED', `"${path}" is not a /proc/<pid>/fd/<fd> path`);
      let target: string;
      try {
        target = readlinkSync(path);
      } catch (error) {
        throw new NativeKernelError('SHARED_MEMORY_REFUSED', `cannot see ${path} (another machine or process namespace?): ${(error as Error).message}`);
      }
      if (!target.startsWith(`/memfd:${SHARED_MEMORY_NAME} `) && target !== `/memfd:${SHARED_MEMORY_NAME}`) {
        throw new NativeKernelError('SHARED_MEMORY_REFUSED', `${path} is ${target}, not tunefleet's shared memory`);
      }
      return addon.sharedMemoryOpen(path, bytes);
    },
  };
}

const SHARED_MEMORY_NAME = 'tunefleet-collective';
const PROC_FD_PATH = /^\/proc\/\d+\/fd\/\d+$/;

/** What the addon is and does, for logs and benchmarks; `undefined` when it is not built. */
export function nativeBackendInfo(): { addonPath: string; blas: string; threads: number; kernels: string[] } | undefined {
  const loaded = loadAddon();
  if (!loaded.ok) return undefined;
  return {
    addonPath: loaded.path,
    blas: loaded.addon.blasConfig(),
    threads: loaded.addon.threads(),
    kernels: nativeKernelNames(loaded.addon),
  };
}

/** Why the addon cannot be used, or `undefined` when it can. */
export function nativeUnavailableReason(): string | undefined {
  const loaded = loadAddon();
  return loaded.ok ? undefined : loaded.reason;
}

/** Wall time spent inside one addon function during `timeNativeCalls`. */
export interface NativeCallTiming {
  name: string;
  ms: number;
  calls: number;
}

/**
 * Runs `fn` with every addon function timed (for benchmarks: this covers the work of the native
 * tfjs kernels and of the fused ops' backward passes, which tf.profile does not see). Returns the
 * timings, slowest first. The addon is restored afterwards, also when `fn` throws.
 */
export async function timeNativeCalls(fn: () => Promise<void> | void): Promise<NativeCallTiming[]> {
  const loaded = loadAddon();
  if (!loaded.ok) throw new NativeKernelError('NATIVE_UNAVAILABLE', loaded.reason);
  const addon = loaded.addon as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map(Object.entries(addon).filter(([, f]) => typeof f === 'function'));
  const totals = new Map<string, { ms: number; calls: number }>();
  for (const [name, original] of originals) {
    addon[name] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return original(...args);
      } finally {
        const entry = totals.get(name) ?? { ms: 0, calls: 0 };
        totals.set(name, { ms: entry.ms + performance.now() - start, calls: entry.calls + 1 });
      }
    };
  }
  try {
    await fn();
  } finally {
    for (const [name, original] of originals) addon[name] = original;
  }
  return [...totals].map(([name, t]) => ({ name, ...t })).sort((a, b) => b.ms - a.ms);
}
