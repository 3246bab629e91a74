import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listCheckpoints, resolveResumeDir, rotateCheckpoints } from './checkpoints.ts';
import { CHECKPOINT_FILES } from './trainer-checkpoints.ts';
import { removeTempDirs, tempDir } from './testing/harness.ts';

afterEach(removeTempDirs);

async function withCheckpoints(steps: number[]): Promise<string> {
  const out = await tempDir();
  for (const step of steps) {
    await mkdir(join(out, `checkpoint-${step}`));
    for (const name of CHECKPOINT_FILES) await writeFile(join(out, `checkpoint-${step}`, name), '');
  }
  await mkdir(join(out, 'runs')); // not a checkpoint, never touched
  return out;
}

const remaining = async (out: string): Promise<string[]> => (await readdir(out)).sort();

describe("rotateCheckpoints (HF's _rotate_checkpoints)", () => {
  it('keeps the newest `limit`, ordering by step number, not by name', async () => {
    const out = await withCheckpoints([5, 10, 15, 100]);
    await rotateCheckpoints(out, 2, null);
    expect(await remaining(out)).toEqual(['checkpoint-100', 'checkpoint-15', 'runs']);
  });

  it('never deletes the best checkpoint; limit 1 keeps 2 when the best is not the newest', async () => {
    const out = await withCheckpoints([2, 4, 6, 8]);
    await rotateCheckpoints(out, 2, join(out, 'checkpoint-2'));
    expect(await remaining(out)).toEqual(['checkpoint-2', 'checkpoint-8', 'runs']);
    await rotateCheckpoints(out, 1, join(out, 'checkpoint-2'));
    expect(await remaining(out)).toEqual(['checkpoint-2', 'checkpoint-8', 'runs']);
    await rotateCheckpoints(out, 1, join(out, 'checkpoint-8'));
    expect(await remaining(out)).toEqual(['checkpoint-8', 'runs']);
  });

  it('keeps everything when save_total_limit is null', async () => {
    const out = await withCheckpoints([1, 2, 3]);
    expect(await rotateCheckpoints(out, null, null)).toEqual([]);
    expect(await remaining(out)).toHaveLength(4);
  });
});

describe('resolveResumeDir', () => {
  it('true picks the newest checkpoint; a path is used as given; none found is an error', async () => {
    const out = await withCheckpoints([9, 30, 12]);
    expect(await resolveResumeDir(true, out)).toBe(join(out, 'checkpoint-30'));
    expect(await resolveResumeDir(join(out, 'checkpoint-12'), out)).toBe(join(out, 'checkpoint-12'));
    await expect(resolveResumeDir('some/dir', out)).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND', message: expect.stringMatching(/some\/dir holds no checkpoint/) });
    expect(await resolveResumeDir(null, out)).toBeNull();
    await expect(resolveResumeDir(true, await tempDir())).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });
  });

  it('an incomplete checkpoint (a kill mid-save) is not listed, not picked by true, and named when given as a path', async () => {
    const out = await withCheckpoints([10]);
    const cut = join(out, 'checkpoint-17');
    await mkdir(cut);
    await writeFile(join(cut, 'model.safetensors'), '');
    await writeFile(join(cut, 'optimizer.safetensors.tmp-123'), '');
    expect((await listCheckpoints(out)).map((c) => c.step)).toEqual([10]);
    expect(await resolveResumeDir(true, out)).toBe(join(out, 'checkpoint-10'));
    await expect(resolveResumeDir(cut, out)).rejects.toMatchObject({
      code: 'CHECKPOINT_INVALID',
      message: expect.stringMatching(/checkpoint-17 is incomplete \(no optimizer.safetensors, scheduler.json, trainer_state.json\)/),
    });
  });
});
