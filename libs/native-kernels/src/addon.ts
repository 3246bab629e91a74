import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C++ addon's functions (native/addon.cc). Every array is used in place, never copied. */
export interface NativeAddon {
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
    return { ok: true, addon: require(addonPath) as NativeAddon, path: addonPath };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `native addon ${addonPath} failed to load: ${message}; rebuild it with \`node libs/native-kernels/build.mjs\`` };
  }
}
