// Failures 3, 5, 7 of issue 10 and the Trainer's side of 2: non-finite steps are skipped or stop the
// run naming the step, checkpoints are atomic, cancel and failure outputs are marked.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GradientSync } from './gradient-sync.ts';
import { parseTrainingArguments } from './training-arguments.ts';
import { makeTrainer, removeTempDirs, tempDir, useCpuBackend } from './testing/harness.ts';

beforeAll(useCpuBackend);
afterEach(removeTempDirs);

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
const readJson = async (file: string): Promise<any> => JSON.parse(await readFile(file, 'utf8'));

/** One rank whose all-reduce result is NaN on the given (1-based) optimizer steps: what a poisoned chunk does to every rank. */
function poisonedSync(steps: ReadonlySet<number>): GradientSync & { calls: number } {
  const sync = {
    rank: 0,
    worldSize: 2, // a 1-rank sync is never called; the sum of one rank's buffer is the buffer
    calls: 0,
    async allReduce(buffer: Float32Array): Promise<void> {
      sync.calls += 1;
      if (steps.has(sync.calls)) buffer.fill(Number.NaN);
    },
  };
  return sync;
}

function allFinite(model: { parameters: Map<string, { dataSync(): ArrayLike<number> }> }): boolean {
  for (const variable of model.parameters.values()) for (const v of Array.from(variable.dataSync())) if (!Number.isFinite(v)) return false;
  return true;
}

describe('non-finite steps (max_nonfinite_steps)', () => {
  it('skips a step whose averaged gradients are NaN on every rank: weights stay finite, the step is counted', async () => {
    const logs: string[] = [];
    const { trainer, model } = makeTrainer({ output_dir: await tempDir() }, { gradientSync: poisonedSync(new Set([3])), log: (l) => logs.push(l) });
    const result = await trainer.train();
    expect(result.globalStep).toBe(8);
    expect(result.metrics['train_nonfinite_steps']).toBe(1);
    expect(Number.isFinite(result.trainingLoss)).toBe(true);
    expect(allFinite(model as never)).toBe(true);
    expect(logs.some((l) => /^Step 3: loss NaN .* is not finite; skipped \(1 in a row/.test(l))).toBe(true);
  });

  it('stops after max_nonfinite_steps in a row with an error naming the step, and marks the run failed', async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer({ output_dir: out, max_nonfinite_steps: 2 }, { gradientSync: poisonedSync(new Set([2, 3, 4, 5, 6, 7, 8])) });
    await expect(trainer.train()).rejects.toMatchObject({ code: 'NONFINITE_STEPS', message: expect.stringMatching(/^step 4: loss NaN .*max_nonfinite_steps 2/) });
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(state).toMatchObject({ status: 'failed', stopped_at_step: 3, nonfinite_steps: 3 });
    expect(await exists(join(out, 'all_results.json'))).toBe(false);
    expect(await exists(join(out, 'model.safetensors'))).toBe(false);
  });

  it('defaults to 3 and reads "latest"/"true" for resume_from_checkpoint as the newest checkpoint, not a directory', () => {
    expect(parseTrainingArguments({ output_dir: 'o' }, 't').max_nonfinite_steps).toBe(3);
    expect(parseTrainingArguments({ output_dir: 'o', resume_from_checkpoint: 'latest' }, 't').resume_from_checkpoint).toBe(true);
    expect(parseTrainingArguments({ output_dir: 'o', resume_from_checkpoint: 'true' }, 't').resume_from_checkpoint).toBe(true);
    expect(parseTrainingArguments({ output_dir: 'o', resume_from_checkpoint: 'ckpt/checkpoint-5' }, 't').resume_from_checkpoint).toBe('ckpt/checkpoint-5');
  });
});

describe('cancel and failure outputs', () => {
  it('a run stopped at step 3 of 8 leaves a resumable checkpoint and a cancelled trainer_state, no final model or results', async () => {
    const out = await tempDir();
    const { trainer } = makeTrainer({ output_dir: out, logging_steps: 100 }, {});
    (trainer as unknown as { callbacks: unknown[] }).callbacks = [{ onStepEnd: (s: { globalStep: number }) => void (s.globalStep === 3 && trainer.requestStop()) }];
    const result = await trainer.train();
    expect(result.globalStep).toBe(3);
    expect(await readJson(join(out, 'trainer_state.json'))).toMatchObject({ status: 'cancelled', stopped_at_step: 3, global_step: 3 });
    expect(await exists(join(out, 'all_results.json'))).toBe(false);
    expect(await exists(join(out, 'train_results.json'))).toBe(false);
    expect(await exists(join(out, 'model.safetensors'))).toBe(false);
    expect((await readdir(out)).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-3']);
    // Rates from the 3 steps really run (4 examples each), not from max_steps' 8.
    const { train_samples_per_second: samples, train_steps_per_second: steps } = result.metrics;
    expect(samples! / steps!).toBeCloseTo(4, 1);
    // And the run resumes from it to the end.
    const { trainer: resumed } = makeTrainer({ output_dir: out, resume_from_checkpoint: 'latest' });
    expect((await resumed.train()).globalStep).toBe(8);
    expect(await exists(join(out, 'all_results.json'))).toBe(true);
  });
});

describe('atomic checkpoints', () => {
  it('a save that dies half-way leaves no checkpoint-<step> and no temporary directory', async () => {
    const out = await tempDir();
    let saves = 0;
    const { trainer } = makeTrainer(
      { output_dir: out, save_strategy: 'steps', save_steps: 2 },
      {
        saveExtras: async () => {
          saves += 1;
          if (saves === 2) throw new Error('disk full');
        },
      },
    );
    await expect(trainer.train()).rejects.toThrow(/disk full/);
    expect((await readdir(out)).filter((n) => n !== 'trainer_state.json').sort()).toEqual(['checkpoint-2']);
    expect((await readdir(join(out, 'checkpoint-2'))).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'optimizer.safetensors',
      'scheduler.json',
      'trainer_state.json',
      'training_args.json',
    ]);
  });
});
