import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attention, attentionQkv, NativeKernelError, tryRegisterNativeBackend, type AttentionOptions } from './index.ts';
import { expectClose, randomValues, runOn, sizeOf } from './test-support.ts';

const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

const FLOAT32_MIN = -3.4028234663852886e38;

function rand(shape: number[], seed: number, scale = 1): tf.Tensor2D {
  return tf.mul(tf.tensor(randomValues(sizeOf(shape), seed), shape), scale) as tf.Tensor2D;
}

/** Batch 3 x seq 7, 2 heads of 5: the last positions of sequences 1 and 2 are padding. */
function setup(withDropout: boolean): { inputs: () => tf.Tensor2D[]; options: () => AttentionOptions } {
  const [batchSize, seqLength, heads, hidden] = [3, 7, 2, 10];
  const maskValues = Float32Array.from({ length: batchSize * seqLength }, (_, i) => {
    const [b, s] = [Math.floor(i / seqLength), i % seqLength];
    return s >= seqLength - b ? FLOAT32_MIN : 0;
  });
  const keep = Uint8Array.from(randomValues(batchSize * heads * seqLength * seqLength, 9), (r) => (r < -0.6 ? 0 : 1));
  return {
    inputs: () => [rand([batchSize * seqLength, hidden], 1, 3), rand([batchSize * seqLength, hidden], 2, 3), rand([batchSize * seqLength, hidden], 3)],
    options: () => ({
      batchSize,
      seqLength,
      heads,
      mask: tf.tensor4d(maskValues, [batchSize, 1, 1, seqLength]),
      ...(withDropout ? { dropout: { keep, scale: 1 / 0.8 } } : {}),
    }),
  };
}

/** Context and the gradients of q, k and v on native against the composed tfjs ops on cpu. */
async function compare(withDropout: boolean): Promise<void> {
  const { inputs, options } = setup(withDropout);
  const run = () => {
    const xs = inputs();
    const opts = options();
    const weights = rand([xs[0].shape[0], xs[0].shape[1]], 4);
    const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => attention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, opts);
    const loss = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(f(q, k, v), weights));
    return [f(xs[0], xs[1], xs[2]), ...tf.grads(loss)(xs)];
  };
  const expected = await runOn('cpu', run);
  const actual = await runOn('native', run);
  expect(actual.shapes).toEqual(expected.shapes);
  actual.values.forEach((v, i) => expectClose(v, expected.values[i], 2e-4, 2e-5));
  // Fully padded key positions must not turn the probabilities into NaN.
  expect(expected.values[0].some((x) => Number.isNaN(x))).toBe(false);
}

describe.skipIf(!registration.ok)(`fused attention${skipReason}`, () => {
  it('context and q/k/v gradients match the composed ops, with a padding mask', async () => {
    await compare(false);
  });

  it('context and q/k/v gradients match the composed ops, with a padding mask and dropout', async () => {
    await compare(true);
  });

  it('attentionQkv over one [rows, 3 * hidden] projection matches attention over q, k, v (context and dQkv), native vs cpu', async () => {
    const { inputs, options } = setup(true);
    const run = () => {
      const [q, k, v] = inputs();
      const opts = options();
      const qkv = tf.concat([q, k, v], 1) as tf.Tensor2D; // [rows, 3 * hidden]
      const weights = rand([q.shape[0], q.shape[1]], 4);
      const viaQkv = (x: tf.Tensor) => tf.sum(tf.mul(attentionQkv(x as tf.Tensor2D, opts), weights));
      const viaSplit = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(attention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, opts), weights));
      return [attentionQkv(qkv, opts), tf.grad(viaQkv)(qkv), attention(q, k, v, opts), tf.concat(tf.grads(viaSplit)([q, k, v]), 1)];
    };
    const expected = await runOn('cpu', run);
    const actual = await runOn('native', run);
    expect(actual.shapes).toEqual([[21, 10], [21, 30], [21, 10], [21, 30]]);
    // Native fused against the composed ops on cpu, and against native attention on separate q, k, v.
    expectClose(actual.values[0], expected.values[2], 2e-4, 2e-5);
    expectClose(actual.values[1], expected.values[3], 2e-4, 2e-5);
    expectClose(actual.values[0], actual.values[2], 1e-6, 1e-7);
    expectClose(actual.values[1], actual.values[3], 1e-6, 1e-7);
    expect(Math.max(...actual.values[1].map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('dropout changes the result (the keep mask is applied)', async () => {
    const plain = setup(false);
    const dropped = setup(true);
    const a = await runOn('native', () => attention(...(plain.inputs() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]), plain.options()));
    const b = await runOn('native', () => attention(...(dropped.inputs() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]), dropped.options()));
    expect(Math.max(...a.values[0].map((x, i) => Math.abs(x - b.values[0][i])))).toBeGreaterThan(1e-3);
  });

  it('runs on the native path on native: only the context (and the saved probabilities) are created', async () => {
    await tf.setBackend('native');
    const { inputs, options } = setup(false);
    const [q, k, v] = inputs();
    const opts = options();
    const before = tf.memory().numTensors;
    const y = attention(q, k, v, opts);
    // No tape is recording, so nothing is saved; the composed path leaves its intermediates to tidy.
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2);
    tf.dispose([q, k, v, y, opts.mask!]);
  });

  it('rejects a mask or dropout keep mask of the wrong size, naming the sizes', async () => {
    await tf.setBackend('native');
    const { inputs, options } = setup(true);
    const [q, k, v] = inputs();
    const opts = options();
    expect(() => attention(q, k, v, { ...opts, mask: tf.zeros([3, 6]) })).toThrow(/mask has 18 values, expected batch \* seq = 21/);
    expect(() => attention(q, k, v, { ...opts, dropout: { keep: new Uint8Array(5), scale: 1 } })).toThrow(NativeKernelError);
    expect(() => attention(q, k, v, { ...opts, heads: 3 })).toThrow(/not divisible by heads 3/);
    expect(() => attentionQkv(q, opts)).toThrow(/expected \[batch \* seq, 3 \* hidden\]/);
    const qkv = tf.concat([q, k, v], 1) as tf.Tensor2D;
    expect(() => attentionQkv(qkv, { ...opts, mask: tf.zeros([3, 6]) })).toThrow(/attentionQkv: mask has 18 values/);
    expect(() => attentionQkv(qkv, { ...opts, seqLength: 6 })).toThrow(/qkv has 21 rows, expected batch \* seq = 18/);
  });
});
