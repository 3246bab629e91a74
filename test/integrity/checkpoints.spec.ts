// Failure 5 of issue 10 (a kill during a save left a checkpoint that was listed as complete, and
// `--resume-from-checkpoint true` was read as a directory named "true"), at the CLI. A kill
// mid-save is simulated by what it leaves: a checkpoint-<step> without trainer_state.json and
// scheduler.json and with a stray temporary file, and a half-written .tmp-checkpoint-* directory.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

describe('resume after a kill during a save', () => {
  it('--resume-from-checkpoint true picks the latest COMPLETE checkpoint; naming the cut-off one is refused', async () => {
    const out = join(root, 'out');
    const saving = ['--save-strategy', 'steps', '--save-steps', '2', '--seed', '3'];
    const first = await tunefleet(trainFlags(folder, out, ['--max-steps', '4', ...saving]));
    expect(first.code, first.stderr).toBe(0);
    expect((await readdir(out)).filter((n) => n.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-2', 'checkpoint-4']);

    // What a kill in the middle of writing checkpoint-4 (by an older, non-atomic writer) and checkpoint-6 leaves.
    await rm(join(out, 'checkpoint-4', 'trainer_state.json'));
    await rm(join(out, 'checkpoint-4', 'scheduler.json'));
    await writeFile(join(out, 'checkpoint-4', 'optimizer.safetensors.tmp-4242'), 'half');
    await mkdir(join(out, '.tmp-checkpoint-6-0badf00d'));
    await writeFile(join(out, '.tmp-checkpoint-6-0badf00d', 'model.safetensors'), 'half');

    const cutOff = await tunefleet(trainFlags(folder, out, ['--max-steps', '6', ...saving, '--resume-from-checkpoint', join(out, 'checkpoint-4')]));
    expect(cutOff.code).toBe(1);
    expect(cutOff.stderr).toMatch(/checkpoint-4 is incomplete \(no scheduler\.json, trainer_state\.json\): it was cut off mid-save.*\[CHECKPOINT_INVALID\]/s);

    const resumed = await tunefleet(trainFlags(folder, out, ['--max-steps', '6', ...saving, '--resume-from-checkpoint', 'true']));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout + resumed.stderr).toMatch(/Resuming from \S*checkpoint-2 at global step 2\./);
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(state.global_step).toBe(6);
    // Steps 1-2 come from checkpoint-2's history, 3..6 were trained again (once each); checkpoint-4 was
    // rewritten whole; the stale temporary is gone.
    const lossSteps = state.log_history.filter((entry: { loss?: number }) => entry.loss !== undefined).map((entry: { step: number }) => entry.step);
    expect(lossSteps).toEqual([1, 2, 3, 4, 5, 6]);
    const files = await readdir(out);
    expect(files.filter((n) => n.startsWith('.tmp-checkpoint-'))).toEqual([]);
    expect((await readdir(join(out, 'checkpoint-4'))).sort()).toEqual(expect.arrayContaining(['scheduler.json', 'trainer_state.json', 'optimizer.safetensors']));
    expect(await readdir(join(out, 'checkpoint-4'))).not.toContain('optimizer.safetensors.tmp-4242');
    expect(files).toContain('checkpoint-6');
  }, 180_000);

  it('latest with no complete checkpoint names the output directory instead of a directory called "latest"', async () => {
    const out = join(root, 'out-empty');
    await mkdir(join(out, 'checkpoint-8'), { recursive: true });
    await writeFile(join(out, 'checkpoint-8', 'model.safetensors'), 'half');
    const result = await tunefleet(trainFlags(folder, out, ['--max-steps', '2', '--resume-from-checkpoint', 'latest']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/resume_from_checkpoint=true but \S*out-empty holds no complete checkpoint-<step> directory.*\[CHECKPOINT_NOT_FOUND\]/s);
  }, 60_000);
});
