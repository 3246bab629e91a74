// A W-rank data-parallel run must equal a 1-process run with W times the batch: same permutation per
// (seed, epoch), same global micro-batches, gradients averaged over the global sample count.
import { GrpcCollectiveEndpoint, InMemoryTransport, type Transport } from '@tunefleet/comm';
import { ShardedBatchSource } from '@tunefleet/data';
import { Trainer, type TrainingArgumentsInput } from '@tunefleet/trainer';
import { RingGradientSync } from '@tunefleet/worker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maxRelativeDifference, removeTempDirs, snapshot, syntheticDataset, tempDir, tinyModel, trainingArgs, useCpu } from './support.ts';

beforeAll(useCpu);
afterEach(removeTempDirs);

// 37 examples: global micro-batches of 8 are 8, 8, 8, 8, 5, so the last one splits 2 + 3.
const DATASET = syntheticDataset(37);
const TOKEN = 'data-parallel-test-token-0123456789';

type Args = Partial<TrainingArgumentsInput>;

const CLIP_NORM = 0.05;

/**
 * Every parameter but the attention key biases. A key bias adds q.b_k to all scores of a query row
 * and softmax ignores such shifts, so its true gradient is exactly 0; in float it is rounding noise
 * whose sign depends on summation order, and Adam's m / sqrt(v) turns that noise into full +-lr
 * steps. Any correct split of the batch reorders the sums, so no implementation can match it.
 */
const isGradientDetermined = (name: string): boolean => !name.endsWith('attention.self.key.bias');

async function singleProcess(args: Args, batchSize: number): Promise<{ params: Map<string, Float32Array>; losses: number[]; gradNorms: number[]; steps: number }> {
  const model = tinyModel();
  const trainer = new Trainer({ model, args: trainingArgs({ output_dir: await tempDir(), ...args, per_device_train_batch_size: batchSize }), trainDataset: DATASET });
  const result = await trainer.train();
  const losses = trainer.state.logHistory.filter((e) => 'loss' in e).map((e) => e['loss']!);
  const gradNorms = trainer.state.logHistory.filter((e) => 'grad_norm' in e).map((e) => e['grad_norm']!);
  const params = snapshot(model);
  model.dispose();
  return { params, losses, gradNorms, steps: result.globalStep };
}

/** Runs one Trainer per transport concurrently (one process, async all-reduce) and returns every rank's result. */
async function dataParallel(transports: readonly Transport[], args: Args, batchSize: number) {
  const outputDir = await tempDir();
  const ranks = transports.map((transport) => {
    const model = tinyModel();
    const trainer = new Trainer({
      model,
      args: trainingArgs({ output_dir: outputDir, ...args, per_device_train_batch_size: batchSize }),
      trainDataset: new ShardedBatchSource(DATASET, { rank: transport.rank, worldSize: transport.worldSize }),
      gradientSync: new RingGradientSync(transport, { timeoutMs: 20_000 }),
    });
    return { model, trainer };
  });
  const results = await Promise.all(ranks.map((r) => r.trainer.train()));
  return ranks.map(({ model, trainer }, rank) => {
    const params = snapshot(model);
    model.dispose();
    return { params, steps: results[rank]!.globalStep, losses: trainer.state.logHistory.filter((e) => 'loss' in e).map((e) => e['loss']!) };
  });
}

async function expectEquivalent(transports: readonly Transport[], args: Args, expectedSteps: number): Promise<void> {
  const reference = await singleProcess(args, 8);
  const ranks = await dataParallel(transports, args, 4);
  expect(reference.steps).toBe(expectedSteps);
  const initial = snapshot(tinyModel());
  expect(maxRelativeDifference(reference.params, initial).value).toBeGreaterThan(1e-2); // training moved the weights
  // Clipping was active, so a wrongly scaled average could not hide behind Adam's scale invariance.
  expect(Math.max(...reference.gradNorms)).toBeGreaterThan(CLIP_NORM);
  for (const rank of ranks) {
    expect(rank.steps).toBe(expectedSteps);
    const worst = maxRelativeDifference(rank.params, reference.params, isGradientDetermined);
    expect(worst.value, `worst parameter ${worst.name}`).toBeLessThan(1e-5);
    rank.losses.forEach((loss, i) => expect(loss).toBeCloseTo(reference.losses[i]!, 5));
  }
}

describe('2 workers x per-device batch 4 == 1 process x batch 8 (AdamW, dropout off)', () => {
  it('in-memory ring: 10 steps over 2 epochs, including a partial last batch split 2 + 3', async () => {
    await expectEquivalent(InMemoryTransport.createRing({ worldSize: 2 }), { max_grad_norm: CLIP_NORM, weight_decay: 0.01, warmup_steps: 2 }, 10);
  });

  it('in-memory ring with gradient_accumulation_steps 2 (the last step takes 3 micro-batches)', async () => {
    await expectEquivalent(InMemoryTransport.createRing({ worldSize: 2 }), { gradient_accumulation_steps: 2, max_grad_norm: CLIP_NORM }, 4);
  });

  it('real gRPC ring on 127.0.0.1:0', async () => {
    const endpoints = await Promise.all([0, 1].map(() => GrpcCollectiveEndpoint.listen({ token: TOKEN, host: '127.0.0.1', port: 0 })));
    try {
      const transports = endpoints.map((endpoint, rank) =>
        endpoint.join({ jobId: 'dp-equivalence', rank, worldSize: 2, rightAddress: endpoints[(rank + 1) % 2]!.address }),
      );
      await expectEquivalent(transports, { gradient_accumulation_steps: 2, max_steps: 3, max_grad_norm: CLIP_NORM }, 3);
    } finally {
      await Promise.all(endpoints.map((endpoint) => endpoint.close()));
    }
  });
});
