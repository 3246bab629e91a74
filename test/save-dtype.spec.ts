import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, tunefleet } from './support/cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test/fixtures');

/** dtype of every tensor in a safetensors file's header. */
async function dtypesOf(file: string): Promise<string[]> {
  const bytes = await readFile(file);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype?: string }>;
  return [...new Set(Object.entries(header).filter(([name]) => name !== '__metadata__').map(([, entry]) => entry.dtype!))];
}

describe('tunefleet train --save-dtype bf16', () => {
  let work: string;
  let initDir: string;
  let outDir: string;
  const train = (extra: string[], output: string) =>
    tunefleet([
      'train', '--model', initDir, '--train-file', join(FIXTURES, 'sst2-train-120.tsv'), '--output-dir', output, '--max-seq-length', '32',
      '--per-device-train-batch-size', '16', '--max-steps', '4', '--save-strategy', 'steps', '--save-steps', '2', '--logging-steps', '100', '--disable-tqdm', ...extra,
    ]);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-save-dtype-'));
    initDir = join(work, 'init');
    outDir = join(work, 'out');
    const init = await tunefleet(['init-model', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', initDir]);
    expect(init.code).toBe(0);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes BF16 weights and torch_dtype bfloat16 into the model and its checkpoints, F32 optimizer state', async () => {
    const run = await train(['--save-dtype', 'bf16'], outDir);
    expect(run.stderr).not.toMatch(/Error:/);
    expect(run.code).toBe(0);
    for (const dir of [outDir, join(outDir, 'checkpoint-2'), join(outDir, 'checkpoint-4')]) {
      expect(await dtypesOf(join(dir, 'model.safetensors'))).toEqual(['BF16']);
      expect((await readJson(join(dir, 'config.json'))).torch_dtype).toBe('bfloat16');
    }
    expect(await dtypesOf(join(outDir, 'checkpoint-2', 'optimizer.safetensors'))).toEqual(['F32']);
    expect((await readJson(join(outDir, 'training_args.json'))).save_dtype).toBe('bf16');
  });

  it('the bf16 model evaluates, and training resumes from its bf16 checkpoint', async () => {
    const evaluate = await tunefleet(['evaluate', '--model', outDir, '--file', join(FIXTURES, 'sst2-test-40.tsv')]);
    expect(evaluate.code).toBe(0);
    expect(JSON.parse(evaluate.stdout).examples).toBe(40);
    const resumed = join(work, 'resumed');
    const run = await train(['--save-dtype', 'bf16', '--resume-from-checkpoint', join(outDir, 'checkpoint-2')], resumed);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/Resuming from .*checkpoint-2 at global step 2/);
    expect((await readJson(join(resumed, 'trainer_state.json'))).global_step).toBe(4);
  });
});
