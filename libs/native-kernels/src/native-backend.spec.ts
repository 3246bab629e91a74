import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { loadAddon } from './addon.ts';
import { nativeBackendInfo, tryRegisterNativeBackend } from './index.ts';
import { expectClose, randomValues, runOn, sizeOf } from './test-support.ts';

// Two threads so the threaded paths (split batches, row chunks) run even on a one-core machine.
const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;

describe('native addon availability', () => {
  it('loads when TUNEFLEET_REQUIRE_NATIVE=1 (CI builds it)', () => {
    if (process.env.TUNEFLEET_REQUIRE_NATIVE !== '1') return;
    expect(registration, 'native addon must load in CI').toMatchObject({ ok: true, name: 'native' });
  });

  it('reports a reason instead of throwing for a bad thread count', async () => {
    await expect(tryRegisterNativeBackend({ threads: 0 })).resolves.toMatchObject({ ok: false });
    await expect(tryRegisterNativeBackend({ threads: 1.5 })).resolves.toMatchObject({ ok: false });
  });
});

/** Runs the same computation on cpu (reference) and native and compares every output. */
async function compare(fn: () => tf.Tensor | tf.Tensor[], rtol = 1e-4, atol = 1e-5): Promise<void> {
  const expected = await runOn('cpu', fn);
  const actual = await runOn('native', fn);
  expect(actual.shapes).toEqual(expected.shapes);
  actual.values.forEach((values, i) => expectClose(values, expected.values[i], rtol, atol));
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(sizeOf(shape), seed), shape);
}

describe.skipIf(!registration.ok)(`native backend${skipReason}`, () => {
  it('registers under the name native with the requested threads', async () => {
    expect(registration).toEqual({ ok: true, name: 'native', threads: 2 });
    await tf.setBackend('native');
    expect(tf.getBackend()).toBe('native');
    expect(nativeBackendInfo()?.kernels).toContain('BatchMatMul');
  });

  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [7, 33, 1],
    [33, 7, 129],
    [129, 33, 7],
    [1, 129, 33],
    [300, 70, 130], // >= 2^21 multiply-adds: split into row blocks across threads (300 not a multiple of the block)
    [130, 70, 301], // split into column blocks
  ];
  for (const [m, k, n] of sizes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        it(`matMul ${m}x${k} @ ${k}x${n}, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
          const aShape = transposeA ? [k, m] : [m, k];
          const bShape = transposeB ? [n, k] : [k, n];
          await compare(() => tf.matMul(rand(aShape, m * 3 + k), rand(bShape, n * 5 + k), transposeA, transposeB));
        });
      }
    }
  }

  const batchCases: [number[], number[]][] = [
    [[8, 33, 7], [8, 7, 129]], // split across threads (small matrices)
    [[2, 130, 70], [2, 70, 250]], // large matrices, as many as threads: one whole matrix per thread
    [[2, 3, 7, 5], [2, 3, 5, 4]],
    [[1, 7, 5], [6, 5, 3]], // a broadcast
    [[6, 7, 5], [5, 3]], // b has no batch dims
    [[2, 1, 7, 5], [1, 5, 3]], // ranks differ, a's batch broadcast
  ];
  for (const [aShape, bShape] of batchCases) {
    for (const transposeB of [false, true]) {
      it(`batched matMul [${aShape}] @ [${bShape}] transposeB=${transposeB}`, async () => {
        const b = transposeB ? [...bShape.slice(0, -2), bShape[bShape.length - 1], bShape[bShape.length - 2]] : bShape;
        await compare(() => tf.matMul(rand(aShape, 11), rand(b, 12), false, transposeB));
      });
    }
  }

  it('broadcasts both batch dims where cpu would not ([2,1] x [1,3])', async () => {
    const a = randomValues(2 * 1 * 3 * 4, 1);
    const b = randomValues(1 * 3 * 4 * 2, 2);
    const actual = await runOn('native', () => tf.matMul(tf.tensor(a, [2, 1, 3, 4]), tf.tensor(b, [1, 3, 4, 2])));
    expect(actual.shapes[0]).toEqual([2, 3, 3, 2]);
    // Reference: each output batch (i, j) is a[i] @ b[j], computed one 2-D matMul at a time on cpu.
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          parts.push(tf.matMul(tf.tensor(a.slice(i * 12, i * 12 + 12), [3, 4]), tf.tensor(b.slice(j * 8, j * 8 + 8), [4, 2])));
        }
      }
      return tf.stack(parts).dataSync() as Float32Array;
    });
    expectClose(actual.values[0], expected);
  });

  it('rejects mismatched inner dims with the tfjs message', async () => {
    await tf.setBackend('native');
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 2]))).toThrow(/inner shapes \(3\) and \(4\)/);
  });

  for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as const) {
    it(`fused matMul with bias [n] and ${activation}`, async () => {
      await compare(() =>
        tf.fused.matMul({ a: rand([33, 7], 1), b: rand([129, 7], 2), transposeB: true, bias: rand([129], 3), activation }),
      );
    });
  }

  it('fused matMul with bias [n] split into column blocks across threads (bias read at the block offset)', async () => {
    await compare(() =>
      tf.fused.matMul({ a: rand([150, 100], 4), b: rand([203, 100], 5), transposeB: true, bias: rand([203], 6), activation: 'relu' }),
    );
    await compare(() => tf.fused.matMul({ a: rand([100, 250], 7), b: rand([100, 90], 8), transposeA: true, bias: rand([90], 9) }));
  });

  it('fused matMul with a broadcast bias [m, 1], prelu and batch dims', async () => {
    await compare(() =>
      tf.fused.matMul({
        a: rand([3, 7, 5], 4),
        b: rand([3, 5, 6], 5),
        bias: rand([7, 1], 6),
        activation: 'prelu',
        preluActivationWeights: rand([6], 7),
      }),
    );
  });

  it('fused matMul without bias, transposeA', async () => {
    await compare(() => tf.fused.matMul({ a: rand([7, 33], 8), b: rand([7, 5], 9), transposeA: true, activation: 'relu' }));
  });

  it('gradients through matMul and fused matMul match cpu', async () => {
    await compare(() => {
      const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.matMul({ a: tf.matMul(a, b, false, true) as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' }), rand([9, 5], 20)));
      return tf.grads(f)([rand([9, 5], 21), rand([5, 5], 22), rand([5], 23)]);
    }, 1e-4, 1e-4);
  });

  // tfjs's BatchMatMul gradient does not reduce over broadcast batch dims, so equal batches here.
  it('gradients through batched, transposed matMul match cpu', async () => {
    await compare(() => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, true, false)));
      return tf.grads(f)([rand([4, 7, 3], 24), rand([4, 7, 5], 25)]);
    }, 1e-4, 1e-4);
  });

  it('UnsortedSegmentSum (embedding gradient) matches cpu, ids out of range dropped', async () => {
    const ids = [3, 0, 3, 9, -1, 5, 0];
    await compare(() => tf.unsortedSegmentSum(rand([7, 129], 30), tf.tensor1d(ids, 'int32'), 6));
    await compare(() => {
      const table = rand([50, 33], 31);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d([[1, 4, 1], [49, 0, 4]], [2, 3], 'int32')), rand([2, 3, 33], 32)));
      return tf.grad(f)(table);
    });
  });

  it('Softmax over the last axis (threaded rows) and its gradient', async () => {
    await compare(() => tf.softmax(tf.mul(rand([64, 1024], 40), 20)));
    await compare(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), rand([2, 3, 129], 42))))(rand([2, 3, 129], 41)));
  });

  it('Softmax with a -inf-like mask stays finite, as cpu', async () => {
    await compare(() => tf.softmax(tf.add(rand([2, 7], 43), tf.tensor2d([[0, 0, -3.4e38, 0, 0, -3.4e38, 0]], [1, 7]))));
  });

  it('Erf matches cpu', async () => {
    await compare(() => tf.erf(tf.mul(rand([70000], 50), 4)), 1e-5, 2e-6);
  });

  const binaryCases: [number[], number[]][] = [
    [[7, 33], [7, 33]],
    [[8, 4, 16, 128], [8, 1, 1, 128]], // attention mask
    [[64, 768], [768]], // bias
    [[64, 768], [64, 1]], // LayerNorm mean
    [[1], [5, 3]],
    [[5, 1, 3], [1, 4, 1]],
    [[], [3]],
  ];
  for (const [aShape, bShape] of binaryCases) {
    it(`Add/Sub/Mul/Div broadcast [${aShape}] with [${bShape}]`, async () => {
      await compare(() => {
        const a = rand(aShape, 60);
        const b = tf.add(rand(bShape, 61), 2); // away from 0 for division
        return [tf.add(a, b), tf.sub(b, a), tf.mul(a, b), tf.div(a, b)];
      }, 1e-5, 1e-6);
    });
  }

  it('binary ops on int32 fall back to cpu', async () => {
    await compare(() => tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')));
  });

  const transposeCases: [number[], number[]][] = [
    [[33, 129], [1, 0]],
    [[300, 257], [1, 0]],
    [[2, 7, 3, 5], [0, 2, 1, 3]], // [batch, seq, heads, dim] -> [batch, heads, seq, dim]
    [[2, 7, 3, 5], [3, 1, 0, 2]],
    [[7], [0]],
  ];
  for (const [shape, perm] of transposeCases) {
    it(`Transpose [${shape}] by [${perm}]`, async () => {
      await compare(() => tf.transpose(rand(shape, 70), perm));
    });
  }

  const reduceCases: [number[], number | number[], boolean][] = [
    [[129, 33], 0, false],
    [[129, 33], -1, true],
    [[2, 7, 3, 5], [1, 2], false],
    [[2, 7, 3, 5], [0, 3], true],
    [[4, 700, 33], [0, 1], false],
    [[5], 0, false],
  ];
  for (const [shape, axis, keepDims] of reduceCases) {
    it(`Sum and Mean of [${shape}] over ${JSON.stringify(axis)} keepDims=${keepDims}`, async () => {
      await compare(() => {
        const x = rand(shape, 80);
        return [tf.sum(x, axis, keepDims), tf.mean(x, axis, keepDims)];
      }, 1e-4, 1e-5);
    });
  }

  const testedUnaryOps = ['Neg', 'Exp', 'Square', 'Floor', 'Sqrt', 'Rsqrt', 'Tanh', 'Log', 'Abs', 'Sigmoid', 'Relu', 'Reciprocal', 'Ceil'];
  it('the parity test below covers every unary op the addon exports (native/unary.h)', () => {
    const loaded = loadAddon();
    if (!loaded.ok) throw new Error(loaded.reason);
    expect(Object.keys(loaded.addon.opCodes.unary).sort()).toEqual([...testedUnaryOps].sort());
  });

  it(`unary ops (${testedUnaryOps.join(', ')}) match cpu`, async () => {
    await compare(() => {
      const x = tf.mul(rand([70001], 90), 5); // threaded; negatives give NaN for sqrt/log on both
      const positive = tf.add(tf.abs(x), 0.1);
      return [tf.neg(x), tf.exp(x), tf.square(x), tf.floor(x), tf.sqrt(positive), tf.rsqrt(positive), tf.tanh(x),
        tf.log(positive), tf.abs(x), tf.sigmoid(x), tf.relu(x), tf.reciprocal(positive), tf.ceil(x), tf.sqrt(x)];
    }, 2e-6, 1e-6);
  });

  it('GatherV2 along axis 0 and 1, 2-D indices, matches cpu; bad index throws', async () => {
    await compare(() => [
      tf.gather(rand([50, 33], 91), tf.tensor2d([[1, 4, 1], [49, 0, 4]], [2, 3], 'int32')),
      tf.gather(rand([3, 50, 7], 92), tf.tensor1d([0, 49, 7], 'int32'), 1),
    ]);
    await tf.setBackend('native');
    expect(() => tf.gather(tf.zeros([4, 2]), tf.tensor1d([4], 'int32'))).toThrow(/GatherV2: indices\[0\] = 4 is not in \[0, 3\]/);
    const error = (() => {
      try {
        tf.gather(tf.zeros([4, 2]), tf.tensor1d([0, -1], 'int32'));
      } catch (e) {
        return e;
      }
    })();
    expect(errorCode(error)).toBe('KERNEL_INDEX_OUT_OF_RANGE');
    expect((error as Error).message).toContain('indices[1] = -1');
  });

  it('Concat along axes 0, 1 and 2 (pooled output) matches cpu; int32 falls back', async () => {
    for (const axis of [0, 1, 2, -1]) {
      const shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]].map((s, i) => s.map((d, a) => (a === (axis + 3) % 3 ? d + i : d)));
      await compare(() => tf.concat(shapes.map((s, i) => rand(s, 30 + i)), axis));
    }
    await compare(() => tf.concat([rand([3, 1], 40), rand([3, 0], 41), rand([3, 2], 42)], 1));
    const ints = await runOn('native', () => tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]));
    expect(Array.from(ints.values[0])).toEqual([1, 2, 3]);
  });

  it('AddN (gradient accumulation) matches cpu', async () => {
    await compare(() => tf.addN([rand([300, 129], 93), rand([300, 129], 94), rand([300, 129], 95)]));
    await compare(() => tf.addN([rand([7], 96)]));
  });
});
