// Failure 3 of issue 10 (a NaN or Inf loss trained through, the run reported successful) and the
// tail of failure 2 (`evaluate` on a NaN model silently left eval_loss out), at the CLI.
import { existsSync } from 'node:fs';
import { cp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@tunefleet/model';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';
import { killAll, readJson, trainFlags, tunefleet } from '../support/cli.ts';

let root: string;
let folder: JobFolder;
beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root);
});
afterEach(killAll);
afterAll(removeTempDirs);

describe('non-finite training', () => {
  it('a learning rate of 1e30: the run stops naming the step, writes no model, and trainer_state.json says failed', async () => {
    const out = join(root, 'out-diverged');
    const result = await tunefleet(trainFlags(folder, out, ['--max-steps', '30', '--learning-rate', '1e30', '--max-nonfinite-steps', '2']));
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/step (\d+): loss \S+ \/ gradient norm \S+ is not finite, 3 such steps in a row \(max_nonfinite_steps 2\).*\[NONFINITE_STEPS\]/s);
    expect(result.stdout + result.stderr).toMatch(/is not finite; skipped \(1 in a row/);
    const files = await readdir(out);
    for (const name of ['model.safetensors', 'all_results.json', 'train_results.json']) expect(files).not.toContain(name);
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(state.status).toBe('failed');
    expect(state.stopped_at_step).toBeLessThan(30);
    expect(state.nonfinite_steps).toBe(3);
    expect(state.error).toMatch(/not finite/);
  }, 120_000);
});

describe('evaluate on a model with NaN weights', () => {
  it('prints eval_loss as "NaN" (not dropped), names the NaN parameter on stderr and exits 1', async () => {
    const model = join(root, 'nan-model');
    await cp(folder.modelDir, model, { recursive: true });
    // The job folder's model names its labels LABEL_0/1; the data says 0/1.
    const config = await readJson(join(model, 'config.json'));
    await writeFile(join(model, 'config.json'), JSON.stringify({ ...config, id2label: { 0: '0', 1: '1' }, label2id: { 0: 0, 1: 1 } }));
    const weights = await readSafetensors(join(model, 'model.safetensors'));
    const poisoned = new Map(weights.tensors);
    const classifier = poisoned.get('classifier.weight')!;
    poisoned.set('classifier.weight', { ...classifier, data: new Float32Array(classifier.data.length).fill(Number.NaN) });
    await writeSafetensors(join(model, 'model.safetensors'), poisoned);

    const result = await tunefleet(['evaluate', '--model', model, '--file', folder.devFile, '--text-column', 'sentence', '--backend', 'cpu']);
    expect(result.code, result.stderr).toBe(1);
    const metrics = JSON.parse(result.stdout);
    expect(metrics.examples).toBe(12);
    expect(metrics.eval_loss).toBe('NaN');
    expect(result.stderr).toMatch(/warning: .*nan-model gives eval_loss NaN.*1 parameter\(s\) hold NaN or Inf: classifier\.weight/s);

    // The unpoisoned model evaluates as before: numbers, exit 0.
    await writeSafetensors(join(model, 'model.safetensors'), weights.tensors);
    const clean = await tunefleet(['evaluate', '--model', model, '--file', folder.devFile, '--text-column', 'sentence', '--backend', 'cpu']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(typeof JSON.parse(clean.stdout).eval_loss).toBe('number');
    expect(existsSync(join(model, 'eval_results.json'))).toBe(false);
  }, 90_000);
});
