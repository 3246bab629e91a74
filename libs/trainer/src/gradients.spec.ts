import * as tf from '@tensorflow/tfjs-core';
import type { ModelBatch } from '@tunefleet/model';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GradientSync } from './gradient-sync.ts';
import { averageAcrossRanks, GradientAccumulator, lossTermCount, SYNC_TRAILER_LENGTH } from './gradients.ts';
import { useCpuBackend } from './testing/harness.ts';
import { ArrayBatchSource, makeExamples, TINY_CONFIG, TinyClassifier } from './testing/tiny-model.ts';

beforeAll(useCpuBackend);

/** `worldSize` syncs in one process: allReduce resolves once every rank's buffer is in, with the sum. */
function summingGroup(worldSize: number): GradientSync[] {
  let pending: { buffer: Float32Array; resolve: () => void }[] = [];
  return Array.from({ length: worldSize }, (_, rank) => ({
    rank,
    worldSize,
    allReduce: (buffer: Float32Array) =>
      new Promise<void>((resolve) => {
        pending.push({ buffer, resolve });
        if (pending.length < worldSize) return;
        const sum = new Float32Array(buffer.length);
        for (const p of pending) p.buffer.forEach((v, i) => (sum[i]! += v));
        for (const p of pending) {
          p.buffer.set(sum);
          p.resolve();
        }
        pending = [];
      }),
  }));
}

const EXAMPLES = makeExamples(7, TINY_CONFIG.vocabSize, 21);

function batchOf(indices: number[]): ModelBatch {
  if (indices.length === 0) {
    const none = new Int32Array(0);
    return { batchSize: 0, seqLength: 0, inputIds: none, attentionMask: none, tokenTypeIds: none, labels: none };
  }
  const source = new ArrayBatchSource(indices.map((i) => EXAMPLES[i]!));
  return [...source.batches({ epoch: 0, batchSize: indices.length, shuffle: false, seed: 0, dropLast: false })][0]!;
}

/** Averaged gradients when rank r's micro-batches hold `split[r]` (lists of example indices). */
async function averaged(model: TinyClassifier, split: number[][][]): Promise<{ grads: Map<string, Float32Array>; loss: number }[]> {
  const syncs = summingGroup(split.length);
  return Promise.all(
    split.map(async (microBatches, rank) => {
      const accumulator = new GradientAccumulator(model);
      for (const indices of microBatches) accumulator.addMicroBatch(batchOf(indices), 0);
      const result = await averageAcrossRanks(model.parameters, accumulator.take(), syncs[rank]!);
      const grads = new Map([...result.grads].map(([name, t]) => [name, Float32Array.from(t.dataSync())]));
      tf.dispose([...result.grads.values()]);
      return { grads, loss: result.loss };
    }),
  );
}

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let max = 0;
  for (const [name, values] of a) values.forEach((v, i) => (max = Math.max(max, Math.abs(v - b.get(name)![i]!))));
  return max;
}

describe('sample-count-weighted gradient averaging', () => {
  it('uneven and empty rank slices give the gradient of the mean loss over all examples', async () => {
    const model = new TinyClassifier(TINY_CONFIG);
    const [reference] = await averaged(model, [[[0, 1, 2, 3, 4, 5, 6]]]);
    // 7 examples as 3 ranks x 2 micro-batches: 4 + 3 examples, 0 examples (empty slices), and 0 + 0.
    const split = [[[0, 1, 2], [3]], [[4, 5], [6]], [[], []]];
    const ranks = await averaged(model, split);
    for (const rank of ranks) {
      expect(maxDiff(rank.grads, reference!.grads)).toBeLessThan(1e-6);
      expect(rank.loss).toBeCloseTo(reference!.loss, 6);
    }
    // A plain 1/worldSize average of per-rank means would not match: the split is uneven on purpose.
    const gradNorm = Math.max(...[...reference!.grads.values()].map((g) => Math.max(...g.map(Math.abs))));
    expect(gradNorm).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('one rank with a single uneven accumulation equals the example-weighted mean, not the mean of means', async () => {
    const model = new TinyClassifier(TINY_CONFIG);
    const [whole] = await averaged(model, [[[0, 1, 2, 3, 4, 5, 6]]]);
    const [accumulated] = await averaged(model, [[[0, 1, 2, 3, 4, 5], [6]]]);
    expect(maxDiff(accumulated!.grads, whole!.grads)).toBeLessThan(1e-6);
    model.dispose();
  });

  it('sends [gradients..., loss sum, count] and counts labelled positions only', async () => {
    expect(SYNC_TRAILER_LENGTH).toBe(2);
    const tokenBatch: ModelBatch = { ...batchOf([0, 1]), labels: Int32Array.from([3, -100, -100, 1, 2, -100]) };
    expect(lossTermCount(tokenBatch)).toBe(3);
    expect(lossTermCount(batchOf([]))).toBe(0);
    expect(() => lossTermCount({ ...batchOf([0]), labels: undefined })).toThrow(/no labels/);

    const model = new TinyClassifier(TINY_CONFIG);
    const seen: Float32Array[] = [];
    const sync: GradientSync = { rank: 0, worldSize: 2, allReduce: async (buffer) => void seen.push(Float32Array.from(buffer)) };
    const accumulator = new GradientAccumulator(model);
    accumulator.addMicroBatch(batchOf([0, 1, 2]), 0);
    const lossSum = accumulator.lossSum;
    await averageAcrossRanks(model.parameters, accumulator.take(), sync).then((r) => tf.dispose([...r.grads.values()]));
    const total = [...model.parameters.values()].reduce((n, v) => n + v.size, 0);
    expect(seen[0]).toHaveLength(total + 2);
    expect(seen[0]![total]).toBeCloseTo(lossSum, 5);
    expect(seen[0]![total + 1]).toBe(3);
    model.dispose();
  });
});
