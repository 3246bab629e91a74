// Public API of @tunefleet/native-kernels: a tfjs backend named 'native' (cpu storage + OpenBLAS
// and threaded C++ kernels) and a one-call AdamW update.
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon.ts';
import { NATIVE_BACKEND_NAME, nativeKernelNames, registerNativeBackend } from './native-backend.ts';

export { adamwUpdate, createAdamWMoments, type AdamWHyper, type AdamWMoments } from './adamw.ts';
export { gelu, layerNorm } from './fused-ops.ts';
export { NativeKernelError, type NativeKernelErrorCode } from './native-kernel-error.ts';
export { NATIVE_BACKEND_NAME } from './native-backend.ts';

export type NativeRegistration = { ok: true; name: 'native'; threads: number } | { ok: false; reason: string };

/**
 * Registers the 'native' tfjs backend if the addon is built and loads. Never throws: a missing or
 * broken addon, or a bad thread count, comes back as `{ ok: false, reason }`. `threads` (default:
 * the CPUs available) sets both OpenBLAS's threads and the elementwise kernels'. Calling it again
 * only changes the thread count. The caller then runs `await tf.setBackend('native')`.
 */
export async function tryRegisterNativeBackend(options: { threads?: number } = {}): Promise<NativeRegistration> {
  try {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) {
      return { ok: false, reason: `threads must be an integer >= 1, got ${threads}` };
    }
    const loaded = loadAddon();
    if (!loaded.ok) return { ok: false, reason: loaded.reason };
    const actual = loaded.addon.setThreads(threads);
    registerNativeBackend(loaded.addon);
    return { ok: true, name: NATIVE_BACKEND_NAME, threads: actual };
  } catch (error) {
    return { ok: false, reason: `native backend failed to register: ${error instanceof Error ? error.message : String(error)}` };
  }
}

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
