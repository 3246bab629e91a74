import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveResumeDir, rotateCheckpoints } from './checkpoints.ts';
import { removeTempDirs, tempDir } from './testing/harness.ts';

afterEach(removeTempDirs);

async function withCheckpoints(steps: number[]): Promise<string> {
  const out = await tempDir();
  for (const step of steps) await mkdir(join(out, `checkpoint-${step}`));
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
    expect(await resolveResumeDir('some/dir', out)).toBe('some/dir');
    expect(await resolveResumeDir(null, out)).toBeNull();
    await expect(resolveResumeDir(true, await tempDir())).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });
  });
});
