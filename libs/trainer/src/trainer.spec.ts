import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { GradientSync } from './gradient-sync.ts';
import { makeTrainer, maxAbsDifference, removeTempDirs, tempDir, useCpuBackend } from './testing/harness.ts';

beforeAll(useCpuBackend);
afterEach(removeTempDirs);

/** Two identical ranks: the sum across ranks is twice this rank's buffer. */
class DoublingSync implements GradientSync {
  readonly rank = 0;
  readonly worldSize = 2;
  readonly bufferLengths: number[] = [];

  async allReduce(buffer: Float32Array): Promise<void> {
    this.bufferLengths.push(buffer.length);
    for (let i = 0; i < buffer.length; i++) buffer[i]! *= 2;
  }
}

const CLIPPING = { max_grad_norm: 0.5, weight_decay: 0.01, warmup_steps: 2, num_train_epochs: 2 };

describe('Trainer numerics', () => {
  it('gradient accumulation 2 x batch 4 equals batch 8 (dropout off)', async () => {
    const big = makeTrainer({ output_dir: await tempDir(), ...CLIPPING, per_device_train_batch_size: 8 });
    const small = makeTrainer({ output_dir: await tempDir(), ...CLIPPING, per_device_train_batch_size: 4, gradient_accumulation_steps: 2 });
    const bigResult = await big.trainer.train();
    const smallResult = await small.trainer.train();
    expect(bigResult.globalStep).toBe(8);
    expect(smallResult.globalStep).toBe(8);
    expect(maxAbsDifference(big.model.snapshot(), small.model.snapshot())).toBeLessThan(1e-5);
    const losses = (t: typeof big.trainer): number[] => t.state.logHistory.filter((e) => 'loss' in e).map((e) => e['loss']!);
    const bigLosses = losses(big.trainer);
    expect(bigLosses).toHaveLength(8);
    losses(small.trainer).forEach((loss, i) => expect(loss).toBeCloseTo(bigLosses[i]!, 5));
    // Clipping was active, so a wrong 1/accum scale could not hide behind Adam's scale invariance.
    expect(big.trainer.state.logHistory.some((e) => (e['grad_norm'] ?? 0) > 0.5)).toBe(true);
  });

  it('averages through GradientSync: one allReduce per optimizer step, divided by worldSize', async () => {
    const sync = new DoublingSync();
    const common = { ...CLIPPING, gradient_accumulation_steps: 2 };
    const single = makeTrainer({ output_dir: await tempDir(), ...common });
    const doubled = makeTrainer({ output_dir: await tempDir(), ...common }, { gradientSync: sync });
    await single.trainer.train();
    const result = await doubled.trainer.train();
    expect(result.globalStep).toBe(8); // 32 examples / batch 4 / accum 2 = 4 steps per epoch
    expect(sync.bufferLengths).toHaveLength(8);
    const parameterCount = [...doubled.model.parameters.values()].reduce((n, v) => n + v.size, 0);
    expect(sync.bufferLengths.every((n) => n === parameterCount + 2)).toBe(true); // gradients + loss sum + loss-term count
    const norms = (t: typeof single.trainer): number[] => t.state.logHistory.filter((e) => 'grad_norm' in e).map((e) => e['grad_norm']!);
    norms(doubled.trainer).forEach((norm, i) => expect(norm).toBeCloseTo(norms(single.trainer)[i]!, 5));
    expect(result.trainingLoss).toBeCloseTo(single.trainer.state.logHistory.at(-1)!['train_loss']!, 6);
    expect(maxAbsDifference(single.model.snapshot(), doubled.model.snapshot())).toBeLessThan(1e-6);
  });

  it('never flattens or calls allReduce with worldSize 1', async () => {
    const sync: GradientSync = {
      rank: 0,
      worldSize: 1,
      allReduce: async () => {
        throw new Error('allReduce must not be called for a single rank');
      },
    };
    const { trainer } = makeTrainer({ output_dir: await tempDir() }, { gradientSync: sync });
    expect((await trainer.train()).globalStep).toBe(8);
  });

  it('resuming from a mid-epoch checkpoint ends with the same parameters as an uninterrupted run', async () => {
    const args = { ...CLIPPING, gradient_accumulation_steps: 2, save_strategy: 'steps' as const, save_steps: 3 };
    const dropout = { dropoutRate: 0.2 };
    const fullDir = await tempDir();
    const full = makeTrainer({ output_dir: fullDir, ...args }, {}, dropout);
    await full.trainer.train();
    // checkpoint-6: epoch 1, half-way through (4 optimizer steps per epoch)
    const resumed = makeTrainer({ output_dir: await tempDir(), ...args, resume_from_checkpoint: join(fullDir, 'checkpoint-6') }, {}, dropout);
    const result = await resumed.trainer.train();
    expect(result.globalStep).toBe(8);
    expect(maxAbsDifference(full.model.snapshot(), resumed.model.snapshot())).toBe(0);
    const fresh = makeTrainer({ output_dir: await tempDir(), ...args }, {}, { dropoutRate: 0.2, initSeed: 5 });
    await fresh.trainer.train();
    expect(maxAbsDifference(full.model.snapshot(), fresh.model.snapshot())).toBeGreaterThan(1e-3);
  });
});
