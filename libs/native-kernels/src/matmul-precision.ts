// The precision of the native backend's matrix products (every matMul, forward and backward): float32,
// or bf16 inputs with float32 accumulation (mixed precision). Weights, optimizer state, softmax,
// LayerNorm and the loss stay float32 either way; only the products' inputs are rounded.
import { loadAddon } from './addon.ts';
import { NativeKernelError } from './native-kernel-error.ts';

export type MatMulPrecision = 'fp32' | 'bf16';

/** How the products run after `setMatMulPrecision`: `bf16-emulated` rounds the inputs to bf16 and multiplies in float32. */
export type MatMulMode = 'fp32' | 'bf16' | 'bf16-emulated';

export interface MatMulPrecisionState {
  mode: MatMulMode;
  /** For the log line at start: what runs the products, and why bf16 is emulated when it is. */
  detail: string;
}

const MODE_CODES: Record<MatMulMode, number> = { fp32: 0, bf16: 1, 'bf16-emulated': 2 };
const MODES = Object.keys(MODE_CODES) as MatMulMode[];

export interface Bf16Support {
  /** The addon was built against oneDNN (libdnnl-dev present at build time). */
  dnnl: boolean;
  /** The CPU has AVX512-BF16. */
  cpuBf16: boolean;
  /** oneDNN's version and the kernel it picks (`brg:avx512_core_amx_bf16`: AMX tiles), or why oneDNN is absent. */
  detail: string;
}

/** What bf16 products can run on here; throws NATIVE_UNAVAILABLE when the addon is not built. */
export function bf16Support(): Bf16Support {
  const loaded = loadAddon();
  if (!loaded.ok) throw new NativeKernelError('NATIVE_UNAVAILABLE', loaded.reason);
  return loaded.addon.bf16Support();
}

/**
 * Sets the precision of every following native matMul. `bf16` runs on oneDNN's bf16 kernels when the
 * addon has oneDNN and the CPU has AVX512-BF16; otherwise (or with `emulate`) the inputs are rounded
 * to bf16 and multiplied by OpenBLAS in float32: the same numerics, no speed-up, and `detail` says so.
 */
export function setMatMulPrecision(precision: MatMulPrecision, options: { emulate?: boolean } = {}): MatMulPrecisionState {
  const loaded = loadAddon();
  if (!loaded.ok) throw new NativeKernelError('NATIVE_UNAVAILABLE', loaded.reason);
  const { addon } = loaded;
  if (precision === 'fp32') {
    addon.setMatMulPrecision(MODE_CODES.fp32);
    return { mode: 'fp32', detail: 'float32 products (OpenBLAS)' };
  }
  const support = addon.bf16Support();
  const mode = MODES[addon.setMatMulPrecision(options.emulate ? MODE_CODES['bf16-emulated'] : MODE_CODES.bf16)];
  if (mode === 'bf16') return { mode, detail: `bf16 products with float32 accumulation on ${support.detail}` };
  return { mode: 'bf16-emulated', detail: emulatedDetail(support, options.emulate === true) };
}

/** The start-up line of emulated bf16: why (no oneDNN in the build, no AVX512-BF16, or asked for) and what to do. */
export function emulatedDetail(support: Bf16Support, isRequested: boolean): string {
  const why = isRequested
    ? 'emulation was asked for'
    : !support.dnnl
      ? `${support.detail}; install libdnnl-dev and rebuild with \`node libs/native-kernels/build.mjs\``
      : 'this CPU has no AVX512-BF16 instructions';
  return `bf16 EMULATED (${why}): inputs rounded to bf16, float32 products on OpenBLAS; same numerics, no speed-up`;
}

/** `x` rounded to the nearest bf16 (ties to even), as float32 values; the addon's own rounding. */
export function roundToBf16(x: Float32Array): Float32Array {
  const loaded = loadAddon();
  if (!loaded.ok) throw new NativeKernelError('NATIVE_UNAVAILABLE', loaded.reason);
  const out = new Float32Array(x.length);
  loaded.addon.roundToBf16(x, out);
  return out;
}
