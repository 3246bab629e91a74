import * as tf from '@tensorflow/tfjs-core';
import { addLayerNorm as fusedAddLayerNorm, applyDropout, gelu as fusedGelu, isNativeActive, keepMask, layerNorm as fusedLayerNorm } from '@tunefleet/native-kernels';

/**
 * `x @ weight^T + bias` with `weight` in PyTorch's Linear layout `[out, in]`.
 * On 'native' the products use BLAS's transpose flags (no transposed copies) and the bias is added
 * inside the matMul. Elsewhere the gradient is written with explicit transposes feeding plain 2-D
 * matMuls: on wasm a matMul with transposeA/transposeB is several times slower than transpose +
 * plain matMul.
 */
export function dense(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return (isNativeActive() ? nativeDense : composedDense)(x, weight, bias);
}

const nativeDense = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x2d, w, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc]; // [rows, in], [out, in], [out]
  save([x2d, w]);
  const value = tf.fused.matMul({ a: x2d, b: w, transposeB: true, bias }); // [rows, out]
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedX, savedW] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dy2d = dy as tf.Tensor2D; // [rows, out]
    return [
      tf.matMul(dy2d, savedW), // dx: [rows, in]
      tf.matMul(dy2d, savedX, true, false), // dW: [out, in]
      tf.sum(dy2d, 0), // db: [out]
    ];
  };
  return { value, gradFunc };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * The query, key and value projections as one `x @ [wq; wk; wv]^T + [bq; bk; bv]` → `[rows, 3 * out]`
 * (native only: `dense`'s BLAS-flag products). The weights are concatenated at use, so parameters
 * and checkpoints keep their three names; the gradient is one `[3 * out, in]` product split back.
 */
export const qkvDense = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x2d, wq, wk, wv, bq, bk, bv, save] = args as [
    tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc,
  ]; // [rows, in], 3 x [out, in], 3 x [out]
  const weight = tf.concat([wq, wk, wv], 0); // [3 * out, in]
  save([x2d, weight]);
  const value = tf.fused.matMul({ a: x2d, b: weight, transposeB: true, bias: tf.concat([bq, bk, bv], 0) }); // [rows, 3 * out]
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedX, savedW] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dy2d = dy as tf.Tensor2D; // [rows, 3 * out]
    return [
      tf.matMul(dy2d, savedW), // dx: [rows, in]
      ...tf.split(tf.matMul(dy2d, savedX, true, false), 3, 0), // dW: 3 x [out, in]
      ...tf.split(tf.sum(dy2d, 0), 3, 0), // db: 3 x [out]
    ];
  };
  return { value, gradFunc };
}) as (x: tf.Tensor2D, wq: tf.Tensor2D, wk: tf.Tensor2D, wv: tf.Tensor2D, bq: tf.Tensor1D, bk: tf.Tensor1D, bv: tf.Tensor1D) => tf.Tensor2D;

const composedDense = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x2d, w, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc]; // [rows, in], [out, in], [out]
  save([x2d, w]);
  const value = tf.add(tf.matMul(x2d, tf.transpose(w)), bias); // [rows, out]
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedX, savedW] = saved as [tf.Tensor2D, tf.Tensor2D];
    const dy2d = dy as tf.Tensor2D; // [rows, out]
    return [
      tf.matMul(dy2d, savedW), // dx: [rows, in]
      tf.matMul(tf.transpose(dy2d), savedX), // dW: [out, in]
      // db: [out]. A ones-row matMul, not sum(dy, 0): wasm reduces axis 0 via a transpose (50x slower).
      tf.reshape(tf.matMul(tf.ones([1, dy2d.shape[0]]), dy2d), [dy2d.shape[1]]),
    ];
  };
  return { value, gradFunc };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D;

/**
 * LayerNorm over the last axis, biased variance, as torch.nn.LayerNorm: one native pass each way
 * on 'native', composed tfjs ops elsewhere.
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  return fusedLayerNorm(x, weight, bias, eps);
}

/** `layerNorm(x + residual)`: the residual add fused into the LayerNorm on 'native', add then LayerNorm elsewhere. */
export function addLayerNorm(x: tf.Tensor, residual: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  return fusedAddLayerNorm(x, residual, weight, bias, eps);
}

/** Exact GELU, `0.5 x (1 + erf(x / sqrt 2))`: Hugging Face's "gelu" for BERT (native pass on 'native'). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

/** Where and how dropout runs in one forward pass; `undefined` = evaluation, no dropout. */
export interface DropoutContext {
  /** Base of the per-site seeds; each call site adds its own name so masks differ between sites. */
  readonly seed: number;
}

/**
 * Inverted dropout (kept values scaled by 1/(1-rate)), reproducible from `context.seed` and `site`.
 * The mask is drawn on the host (one multiply on the device instead of tf.dropout's four kernels;
 * on 'native' one pass that keeps a 1-byte mask for the backward pass).
 */
export function dropout(x: tf.Tensor, rate: number, context: DropoutContext | undefined, site: string): tf.Tensor {
  const keep = dropoutKeepMask(x.size, rate, context, site);
  return keep === undefined ? x : applyDropout(x, keep, 1 / (1 - rate));
}

/**
 * The keep mask `dropout` uses for `size` values at `site` (1 keep, 0 drop), or `undefined` when no
 * dropout runs (evaluation or rate 0): mulberry32 seeded by `context.seed` and the site's name, so
 * masks differ between sites and fused kernels that take the mask drop the same elements.
 */
export function dropoutKeepMask(size: number, rate: number, context: DropoutContext | undefined, site: string): Uint8Array | undefined {
  if (context === undefined || rate <= 0) return undefined;
  return keepMask(hashSeed(`${context.seed}/${site}`), rate, size);
}

/** FNV-1a of a string: a 32-bit seed per dropout site. */
function hashSeed(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * Additive attention mask as Hugging Face builds it: `(1 - mask) * float32 min`, shape
 * `[batch, 1, 1, seq]` so it broadcasts over heads and query positions.
 */
export const FLOAT32_MIN = -3.4028234663852886e38;

export function extendedAttentionMask(attentionMask: Int32Array, batchSize: number, seqLength: number): tf.Tensor4D {
  const values = new Float32Array(attentionMask.length);
  for (let i = 0; i < values.length; i++) values[i] = attentionMask[i] === 0 ? FLOAT32_MIN : 0;
  return tf.tensor4d(values, [batchSize, 1, 1, seqLength]);
}

/**
 * Embedding lookup `table[ids]` → `[ids.length, dim]`, as `nn.Embedding(padding_idx=...)`: the
 * `paddingIdx` row is read like any other but never receives a gradient.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: Int32Array, paddingIdx?: number): tf.Tensor2D {
  const indices = tf.tensor1d(ids, 'int32');
  if (paddingIdx === undefined) return tf.gather(table, indices);
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [weights, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const keep = tf.tensor2d(Float32Array.from(ids, (id) => (id === paddingIdx ? 0 : 1)), [ids.length, 1]); // [n, 1]
    save([indices, keep]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedIndices, savedKeep] = saved as [tf.Tensor1D, tf.Tensor2D];
      return tf.unsortedSegmentSum(tf.mul(dy, savedKeep), savedIndices, weights.shape[0]); // [vocab, dim]
    };
    return { value: tf.gather(weights, indices), gradFunc };
  });
  return lookup(table) as tf.Tensor2D;
}
