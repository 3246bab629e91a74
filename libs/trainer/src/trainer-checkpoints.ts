import { randomBytes } from 'node:crypto';
import { access, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TrainerError } from './trainer-error.ts';

/** The files without which a checkpoint cannot be resumed exactly; a directory lacking one is not a checkpoint. */
export const CHECKPOINT_FILES = ['model.safetensors', 'optimizer.safetensors', 'scheduler.json', 'trainer_state.json'] as const;
/** The weights of a checkpoint: the model's, or (a LoRA model: only the adapters train) PEFT's adapter file. */
export const WEIGHT_FILES = ['model.safetensors', 'adapter_model.safetensors'] as const;

/** Prefix of a checkpoint being written (never listed, never resumed); removed by the next save. */
const TEMP_PREFIX = '.tmp-checkpoint-';

async function anyExists(dir: string, names: readonly string[]): Promise<boolean> {
  for (const name of names) {
    if (await access(join(dir, name)).then(() => true, () => false)) return true;
  }
  return false;
}

/** The required files `dir` lacks (empty: complete; model.safetensors stands for either weights file). */
export async function missingCheckpointFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const name of CHECKPOINT_FILES) {
    const alternatives: readonly string[] = name === 'model.safetensors' ? WEIGHT_FILES : [name];
    if (!(await anyExists(dir, alternatives))) missing.push(name);
  }
  return missing;
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs every file under `dir`, then `dir` itself. */
async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(path);
    else if (entry.isFile()) await fsyncPath(path);
  }
  await fsyncPath(dir);
}

/**
 * Writes a checkpoint so that `finalDir` either does not exist or is complete: `write` fills a
 * temporary sibling directory, every file is fsynced, the directory is renamed into place (a
 * previous `finalDir` is moved aside first and removed after) and the parent is fsynced. A kill at
 * any point leaves at most a `.tmp-checkpoint-*` directory, which is not listed and is removed by
 * the next save.
 */
export async function writeCheckpointAtomically(finalDir: string, write: (dir: string) => Promise<void>): Promise<void> {
  const parent = dirname(finalDir);
  await mkdir(parent, { recursive: true });
  await removeStaleTemporaries(parent);
  const temp = join(parent, `${TEMP_PREFIX}${basename(finalDir)}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    await write(temp);
    const missing = await missingCheckpointFiles(temp);
    if (missing.length > 0) throw new TrainerError('CHECKPOINT_INVALID', `${finalDir}: the checkpoint writer left out ${missing.join(', ')}.`);
    await fsyncTree(temp);
    let aside: string | undefined;
    try {
      await access(finalDir);
      aside = `${temp}-old`;
      await rename(finalDir, aside);
    } catch {
      // no previous checkpoint of this step
    }
    await rename(temp, finalDir);
    await fsyncPath(parent);
    if (aside !== undefined) await rm(aside, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

async function removeStaleTemporaries(parent: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(TEMP_PREFIX)) await rm(join(parent, name), { recursive: true, force: true });
}
