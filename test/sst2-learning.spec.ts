import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');

// SST-2 test split (examples/sst2/test.tsv): 374 positive of 728, so always answering "positive"
// scores 51.4%. A 2-layer x 128 BERT initialised at random (no pretrained weights exist offline)
// and trained for 250 steps of 32 sentences (1.2 epochs) must be clearly above that. Measured here:
// 78.8% (README); the bound leaves room for run-to-run differences of threaded kernels.
const MAJORITY_ACCURACY = 374 / 728;
const REQUIRED_ACCURACY = 0.7;
const MAX_STEPS = 250;

describe('learning on real data: SST-2', () => {
  const work = mkdtemp(join(tmpdir(), 'tunefleet-sst2-'));

  afterAll(async () => {
    await rm(await work, { recursive: true, force: true });
  });

  it(`a tiny BERT fine-tuned for ${MAX_STEPS} steps reaches >= ${REQUIRED_ACCURACY * 100}% accuracy on the SST-2 test split`, async () => {
    const dir = await work;
    const init = join(dir, 'init');
    const out = join(dir, 'out');
    await run(process.execPath, [BIN, 'init-model', '--preset', 'tiny', '--vocab', 'examples/vocab.txt', '--output', init, '--seed', '42'], { cwd: ROOT });
    await run(
      process.execPath,
      [
        BIN, 'train', '--config', 'examples/sst2-tiny.yaml', '--model', init, '--output-dir', out,
        '--max-steps', String(MAX_STEPS), '--eval-strategy', 'no', '--save-strategy', 'no',
        '--load-best-model-at-end', 'false', '--logging-steps', '50',
      ],
      { cwd: ROOT, maxBuffer: 64 << 20 },
    );
    const results = JSON.parse(await readFile(join(out, 'eval_results.json'), 'utf8'));
    const state = JSON.parse(await readFile(join(out, 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(MAX_STEPS);
    expect(results.eval_accuracy).toBeGreaterThan(MAJORITY_ACCURACY);
    expect(results.eval_accuracy).toBeGreaterThanOrEqual(REQUIRED_ACCURACY);
    // The loss fell: the last logged training loss is below the first one.
    const losses = state.log_history.filter((e: Record<string, number>) => typeof e.loss === 'number').map((e: Record<string, number>) => e.loss);
    expect(losses.at(-1)).toBeLessThan(losses[0]);
  }, 900_000);
});
