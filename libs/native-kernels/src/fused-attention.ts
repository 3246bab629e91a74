import * as tf from '@tensorflow/tfjs-core';
import { NativeKernelError } from './native-kernel-error.ts';
import { activeNative, isFloat32, pooledTensor, values, type NativeContext } from './native-context.ts';

/** Shapes and the optional mask and dropout of one multi-head self-attention call. */
export interface AttentionOptions {
  batchSize: number;
  seqLength: number;
  heads: number;
  /** Additive key mask, `batchSize * seqLength` values (e.g. `[batch, 1, 1, seq]`), or none. */
  mask?: tf.Tensor;
  /** Inverted dropout on the attention probabilities: 1 keeps an element (scaled by `scale`), 0 drops it. */
  dropout?: { keep: Uint8Array; scale: number };
}

/**
 * Multi-head self-attention core as BERT computes it:
 * `dropout(softmax(q k^T / sqrt(headDim) + mask)) v`, per head, with q, k, v and the result in the
 * row-major `[batch * seq, heads * headDim]` layout of the dense layers around it.
 *
 * On 'native' this is one native pass forward and one backward (strided BLAS per head, no
 * transposes; it keeps only the probabilities for the backward pass). Elsewhere it is the same
 * composition of tfjs ops with autograd. Values agree within float32 rounding.
 */
export function attention(query: tf.Tensor2D, key: tf.Tensor2D, value: tf.Tensor2D, options: AttentionOptions): tf.Tensor2D {
  checkAttention(query, key, value, options);
  const native = activeNative();
  const tensors = options.mask === undefined ? [query, key, value] : [query, key, value, options.mask];
  if (native === undefined || !isFloat32(native.backend, tensors)) return composedAttention(query, key, value, options);
  return nativeAttention(native, query, key, value, options);
}

function nativeAttention(
  { addon, backend }: NativeContext,
  query: tf.Tensor2D,
  key: tf.Tensor2D,
  value: tf.Tensor2D,
  options: AttentionOptions,
): tf.Tensor2D {
  const { batchSize, seqLength, heads, mask, dropout } = options;
  const headDim = query.shape[1] / heads;
  const scale = 1 / Math.sqrt(headDim);
  const keep = dropout?.keep ?? null;
  const dropScale = dropout?.scale ?? 1;
  const dims = [batchSize, seqLength, heads, headDim, scale] as const;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, k, v, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    let probs: tf.Tensor | undefined;
    const context = pooledTensor(backend, q.shape, (out) => {
      probs = pooledTensor(backend, [batchSize, heads, seqLength, seqLength], (p) =>
        addon.attention(values(backend, q), values(backend, k), values(backend, v), mask === undefined ? null : values(backend, mask),
          keep, dropScale, p, out, ...dims));
    });
    save([q, k, v, probs!]);
    return {
      value: context,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = saved;
        const dq = pooledTensor(backend, sq.shape, () => {});
        const dk = pooledTensor(backend, sq.shape, () => {});
        const dv = pooledTensor(backend, sq.shape, () => {});
        addon.attentionGrad(values(backend, dy), values(backend, sq), values(backend, sk), values(backend, sv), values(backend, sp),
          keep, dropScale, values(backend, dq), values(backend, dk), values(backend, dv), ...dims);
        return [dq, dk, dv];
      },
    };
  });
  return op(query, key, value) as tf.Tensor2D;
}

/**
 * `attention` over one fused projection: `qkv` is `[batch * seq, 3 * hidden]` with query, key and
 * value as its three column blocks (one matMul over the concatenated Q/K/V weights). On 'native'
 * the heads are read straight out of `qkv` and the backward pass writes one `[batch * seq, 3 * hidden]`
 * gradient, so the projection's backward is one matMul too; elsewhere the blocks are sliced out.
 */
export function attentionQkv(qkv: tf.Tensor2D, options: AttentionOptions): tf.Tensor2D {
  if (qkv.rank !== 2 || qkv.shape[1] % 3 !== 0) {
    throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `attentionQkv: qkv has shape [${qkv.shape.join(', ')}], expected [batch * seq, 3 * hidden]`);
  }
  const hidden = qkv.shape[1] / 3;
  if (qkv.shape[0] !== options.batchSize * options.seqLength) {
    throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `attentionQkv: qkv has ${qkv.shape[0]} rows, expected batch * seq = ${options.batchSize * options.seqLength}`);
  }
  checkOptions(hidden, options, 'attentionQkv');
  const native = activeNative();
  const tensors = options.mask === undefined ? [qkv] : [qkv, options.mask];
  if (native === undefined || !isFloat32(native.backend, tensors)) {
    return tf.tidy(() => {
      const [query, key, value] = tf.split(qkv, 3, 1) as tf.Tensor2D[]; // 3 x [batch * seq, hidden]
      return attention(query, key, value, options);
    });
  }
  return nativeAttentionQkv(native, qkv, options);
}

function nativeAttentionQkv({ addon, backend }: NativeContext, qkv: tf.Tensor2D, options: AttentionOptions): tf.Tensor2D {
  const { batchSize, seqLength, heads, mask, dropout } = options;
  const hidden = qkv.shape[1] / 3;
  const headDim = hidden / heads;
  const keep = dropout?.keep ?? null;
  const dropScale = dropout?.scale ?? 1;
  const dims = [batchSize, seqLength, heads, headDim, 1 / Math.sqrt(headDim)] as const;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    let probs: tf.Tensor | undefined;
    const context = pooledTensor(backend, [x.shape[0], hidden], (out) => {
      probs = pooledTensor(backend, [batchSize, heads, seqLength, seqLength], (p) =>
        addon.attentionQkv(values(backend, x), mask === undefined ? null : values(backend, mask), keep, dropScale, p, out, ...dims));
    });
    save([x, probs!]);
    return {
      value: context, // [batch * seq, hidden]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sp] = saved;
        return [pooledTensor(backend, sx.shape, (dQkv) =>
          addon.attentionQkvGrad(values(backend, dy), values(backend, sx), values(backend, sp), keep, dropScale, dQkv, ...dims))];
      },
    };
  });
  return op(qkv) as tf.Tensor2D;
}

/** The same computation in tfjs ops: split heads by transposes, batched matMuls, softmax. */
function composedAttention(query: tf.Tensor2D, key: tf.Tensor2D, value: tf.Tensor2D, options: AttentionOptions): tf.Tensor2D {
  const { batchSize, seqLength, heads, mask, dropout } = options;
  const hidden = query.shape[1];
  const headDim = hidden / heads;
  const bh = batchSize * heads;
  return tf.tidy(() => {
    const split = (x: tf.Tensor, perm: number[], shape: number[]) =>
      tf.reshape(tf.transpose(tf.reshape(x, [batchSize, seqLength, heads, headDim]), perm), shape);
    // Scaling q before the product is cheaper than scaling the scores and equal up to rounding.
    const q = split(tf.mul(query, 1 / Math.sqrt(headDim)), [0, 2, 1, 3], [bh, seqLength, headDim]) as tf.Tensor3D; // [batch * heads, seq, headDim]
    const kT = split(key, [0, 2, 3, 1], [bh, headDim, seqLength]) as tf.Tensor3D; // [batch * heads, headDim, seq]
    const v = split(value, [0, 2, 1, 3], [bh, seqLength, headDim]) as tf.Tensor3D; // [batch * heads, seq, headDim]
    const product = tf.reshape(tf.matMul(q, kT), [batchSize, heads, seqLength, seqLength]); // [batch, heads, seq, seq]
    const scores = mask === undefined ? product : tf.add(product, tf.reshape(mask, [batchSize, 1, 1, seqLength]));
    let probs = tf.softmax(scores);
    if (dropout !== undefined) {
      const factors = Float32Array.from(dropout.keep, (k) => (k === 0 ? 0 : dropout.scale));
      probs = tf.mul(probs, tf.tensor(factors, probs.shape));
    }
    const context = tf.matMul(tf.reshape(probs, [bh, seqLength, seqLength]) as tf.Tensor3D, v); // [batch * heads, seq, headDim]
    const merged = tf.transpose(tf.reshape(context, [batchSize, heads, seqLength, headDim]), [0, 2, 1, 3]); // [batch, seq, heads, headDim]
    return tf.reshape(merged, [batchSize * seqLength, hidden]) as tf.Tensor2D; // [batch * seq, hidden]
  });
}

function checkAttention(query: tf.Tensor2D, key: tf.Tensor2D, value: tf.Tensor2D, options: AttentionOptions): void {
  const rows = options.batchSize * options.seqLength;
  const shape = `[${options.batchSize} * ${options.seqLength}, hidden]`;
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    if (t.rank !== 2 || t.shape[0] !== rows || t.shape[1] !== query.shape[1]) {
      throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `attention: ${name} has shape [${t.shape.join(', ')}], expected ${shape} like query`);
    }
  }
  checkOptions(query.shape[1], options, 'attention');
}

function checkOptions(hidden: number, options: AttentionOptions, op: string): void {
  const { batchSize, seqLength, heads, mask, dropout } = options;
  const rows = batchSize * seqLength;
  if (!Number.isInteger(heads) || heads < 1 || hidden % heads !== 0) {
    throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `${op}: hidden size ${hidden} is not divisible by heads ${heads}`);
  }
  if (mask !== undefined && mask.size !== rows) {
    throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `${op}: mask has ${mask.size} values, expected batch * seq = ${rows}`);
  }
  const probs = batchSize * heads * seqLength * seqLength;
  if (dropout !== undefined && dropout.keep.length !== probs) {
    throw new NativeKernelError('NATIVE_SHAPE_MISMATCH', `${op}: dropout.keep has ${dropout.keep.length} values, expected batch * heads * seq * seq = ${probs}`);
  }
}
