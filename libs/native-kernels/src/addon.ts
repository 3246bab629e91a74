import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The C++ addon's op-code tables, defined once in the family headers (native/unary.h,
 * native/elementwise.h, native/matmul.h): tfjs kernel or activation name -> the code the addon takes.
 */
export interface NativeOpCodes {
  readonly unary: Readonly<Record<string, number>>;
  readonly binary: Readonly<Record<string, number>>;
  readonly activation: Readonly<Record<string, number>>;
}

/**
 * The C++ addon's functions (each family's native/*-binding.cc). Every array is used in place, never
 * copied. A new binding is declared here and in ADDON_FUNCTIONS below; loading checks the two agree.
 */
export interface NativeAddon {
  readonly opCodes: NativeOpCodes;
  setThreads(threads: number): number;
  threads(): number;
  blasConfig(): string;
  matMul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    aIndex: Int32Array | null,
    bIndex: Int32Array | null,
    bias: Float32Array | null,
    activation: number,
    alpha: number,
  ): void;
  /** What bf16 products run on: oneDNN built in, the CPU's AVX512-BF16, oneDNN's version and the kernel it picks. */
  bf16Support(): { dnnl: boolean; cpuBf16: boolean; detail: string };
  /** Precision of every following matMul: 0 f32, 1 bf16 on oneDNN, 2 bf16 emulated; returns the one in use. */
  setMatMulPrecision(mode: number): number;
  /** out = x rounded to the nearest bf16 (ties to even), as floats. */
  roundToBf16(x: Float32Array, out: Float32Array): void;
  unsortedSegmentSum(x: Float32Array, ids: Int32Array, out: Float32Array, inner: number, numSegments: number): void;
  softmax(x: Float32Array, out: Float32Array, cols: number): void;
  softmaxGrad(y: Float32Array, dy: Float32Array, dx: Float32Array, cols: number): void;
  erf(x: Float32Array, out: Float32Array): void;
  gelu(x: Float32Array, out: Float32Array): void;
  geluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  layerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    epsilon: number,
  ): void;
  /** layerNorm(a + b) over rows of gamma.length, with a + b written to `sum` for the backward pass. */
  addLayerNorm(
    a: Float32Array,
    b: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    sum: Float32Array,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    epsilon: number,
  ): void;
  layerNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
  binary(
    op: number,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    outShape: number[],
    aStrides: number[],
    bStrides: number[],
  ): void;
  transpose(x: Float32Array, out: Float32Array, outShape: number[], permutedInStrides: number[]): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  /** target += source (same length, no overlap); threaded over the addon's threads. */
  addInto(target: Float32Array, source: Float32Array): void;
  /** Zeroes `mask`, sets bit b for each block of `blockFloats` floats with a non-+0 word; returns their count. */
  nonzeroBlocks(values: Float32Array, blockFloats: number, mask: Uint8Array): number;
  sharedMemoryCreate(bytes: number, name: string): { buffer: ArrayBuffer; fd: number };
  sharedMemoryOpen(path: string, bytes: number): ArrayBuffer;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  gather(x: Float32Array, indices: Int32Array, out: Float32Array, outer: number, dimSize: number, inner: number): void;
  reduceSum(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, scale: number): void;
  adamw(
    params: Float32Array[],
    grads: Float32Array[],
    m: Float32Array[],
    v: Float32Array[],
    weightDecay: number[],
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
  ): void;
  /** q, k, v, context: [batch * seq, heads * headDim]; probs, keep: [batch, heads, seq, seq]; mask: [batch, seq]. */
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    mask: Float32Array | null,
    keep: Uint8Array | null,
    dropScale: number,
    probs: Float32Array,
    context: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
  /** attention() with q, k, v the three column blocks of qkv [batch * seq, 3 * heads * headDim]. */
  attentionQkv(
    qkv: Float32Array,
    mask: Float32Array | null,
    keep: Uint8Array | null,
    dropScale: number,
    probs: Float32Array,
    context: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
  /** attentionGrad() into dQkv [batch * seq, 3 * heads * headDim] (dq, dk, dv as its column blocks). */
  attentionQkvGrad(
    dContext: Float32Array,
    qkv: Float32Array,
    probs: Float32Array,
    keep: Uint8Array | null,
    dropScale: number,
    dQkv: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
  /** keep[i] = mulberry32(seed)'s i-th uniform draw < rate ? 0 : 1. */
  keepMask(seed: number, rate: number, keep: Uint8Array): void;
  /** out = x * (keep ? scale : 0). */
  applyKeepMask(x: Float32Array, keep: Uint8Array, scale: number, out: Float32Array): void;
  attentionGrad(
    dContext: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    probs: Float32Array,
    keep: Uint8Array | null,
    dropScale: number,
    dq: Float32Array,
    dk: Float32Array,
    dv: Float32Array,
    batch: number,
    seq: number,
    heads: number,
    headDim: number,
    scale: number,
  ): void;
}

type AddonFunctionName = { [K in keyof NativeAddon]: NativeAddon[K] extends (...args: never[]) => unknown ? K : never }[keyof NativeAddon];

/** Every function NativeAddon declares (the Record type makes tsc reject a missing or extra name). */
const ADDON_FUNCTIONS: Record<AddonFunctionName, true> = {
  setThreads: true,
  threads: true,
  blasConfig: true,
  matMul: true,
  bf16Support: true,
  setMatMulPrecision: true,
  roundToBf16: true,
  unsortedSegmentSum: true,
  softmax: true,
  softmaxGrad: true,
  erf: true,
  gelu: true,
  geluGrad: true,
  layerNorm: true,
  addLayerNorm: true,
  layerNormGrad: true,
  binary: true,
  transpose: true,
  addN: true,
  addInto: true,
  nonzeroBlocks: true,
  sharedMemoryCreate: true,
  sharedMemoryOpen: true,
  unary: true,
  gather: true,
  reduceSum: true,
  adamw: true,
  attention: true,
  attentionQkv: true,
  attentionQkvGrad: true,
  keepMask: true,
  applyKeepMask: true,
  attentionGrad: true,
};
/** The functions a built addon must export, no more and no fewer. */
export const ADDON_FUNCTION_NAMES: readonly string[] = Object.freeze(Object.keys(ADDON_FUNCTIONS));
const OP_CODE_TABLES: readonly (keyof NativeOpCodes)[] = ['unary', 'binary', 'activation'];

/**
 * Whether `exports` (what the built addon's module exports) is exactly what NativeAddon declares:
 * every declared function, no other, and well-formed op-code tables. A mismatch (an addon built
 * from other sources than this checkout) is named binding by binding, with what to do.
 */
export function checkAddonExports(exports: Record<string, unknown>, path: string): { ok: true; addon: NativeAddon } | { ok: false; reason: string } {
  const expected = ADDON_FUNCTION_NAMES;
  const problems: string[] = [];
  const missing = expected.filter((name) => typeof exports[name] !== 'function');
  if (missing.length > 0) problems.push(`lacks the binding${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  const extra = Object.keys(exports).filter((name) => name !== 'opCodes' && !expected.includes(name));
  if (extra.length > 0) problems.push(`exports ${extra.join(', ')}, which src/addon.ts does not declare`);
  const badTables = OP_CODE_TABLES.filter((table) => !isOpCodeTable((exports.opCodes as Record<string, unknown> | undefined)?.[table]));
  if (badTables.length > 0) problems.push(`has no well-formed opCodes.${badTables.join(', opCodes.')} (name -> distinct codes 0..n-1)`);
  if (problems.length === 0) return { ok: true, addon: exports as unknown as NativeAddon };
  return {
    ok: false,
    reason: `native addon ${path} does not match src/addon.ts: it ${problems.join('; it ')}; rebuild it with \`node libs/native-kernels/build.mjs\``,
  };
}

/** An op-code table indexes a C++ enum: integer codes, each of 0..n-1 exactly once. */
function isOpCodeTable(table: unknown): boolean {
  if (typeof table !== 'object' || table === null) return false;
  const codes = Object.values(table as Record<string, unknown>);
  if (codes.length === 0 || !codes.every((code) => Number.isInteger(code))) return false;
  return (codes as number[]).sort((a, b) => a - b).every((code, i) => code === i);
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where `node build.mjs` (node-gyp) leaves the addon. */
export const addonPath = join(packageRoot, 'build', 'Release', 'tunefleet_native.node');

let cached: AddonLoad | undefined;

/** Loads the addon once; never throws. The reason says what to do when it is missing. */
export function loadAddon(): AddonLoad {
  if (cached !== undefined) return cached;
  cached = load();
  return cached;
}

function load(): AddonLoad {
  if (!existsSync(addonPath)) {
    return {
      ok: false,
      reason: `native addon not built: ${addonPath} is missing; run \`node libs/native-kernels/build.mjs\` (needs g++ and libopenblas-dev)`,
    };
  }
  try {
    const require = createRequire(import.meta.url);
    const checked = checkAddonExports(require(addonPath) as Record<string, unknown>, addonPath);
    return checked.ok ? { ...checked, path: addonPath } : checked;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `native addon ${addonPath} failed to load: ${message}; rebuild it with \`node libs/native-kernels/build.mjs\`` };
  }
}
