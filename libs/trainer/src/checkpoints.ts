import * as tf from '@tensorflow/tfjs-core';
import { access, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSafetensors, type TrainableModel } from '@tunefleet/model';
import { TrainerError } from './trainer-error.ts';
import { CHECKPOINT_FILES, missingCheckpointFiles, WEIGHT_FILES } from './trainer-checkpoints.ts';

export const CHECKPOINT_PREFIX = 'checkpoint-';

export function checkpointDir(outputDir: string, step: number): string {
  return join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
}

/**
 * Complete checkpoint-<step> directories of `outputDir` (every file a resume needs is there), oldest
 * step first (HF's _sorted_checkpoints). An incomplete one (a kill mid-save by an older writer) is
 * neither listed, resumed nor rotated away.
 */
export async function listCheckpoints(outputDir: string): Promise<{ dir: string; step: number }[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(outputDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const found = entries
    .filter((entry) => entry.isDirectory() && /^checkpoint-\d+$/.test(entry.name))
    .map((entry) => ({ dir: join(outputDir, entry.name), step: Number(entry.name.slice(CHECKPOINT_PREFIX.length)) }));
  const complete: { dir: string; step: number }[] = [];
  for (const checkpoint of found) if ((await missingCheckpointFiles(checkpoint.dir)).length === 0) complete.push(checkpoint);
  return complete.sort((a, b) => a.step - b.step);
}

/**
 * HF's _rotate_checkpoints: keep the newest `limit` checkpoints, but never the best one's deletion:
 * the best is moved next to the newest, and a limit of 1 becomes 2 when the best is not the newest.
 * Returns the deleted directories.
 */
export async function rotateCheckpoints(outputDir: string, limit: number | null, bestCheckpoint: string | null): Promise<string[]> {
  if (limit === null) return [];
  const sorted = (await listCheckpoints(outputDir)).map((c) => resolve(c.dir));
  const best = bestCheckpoint === null ? null : resolve(bestCheckpoint);
  const bestIndex = best === null ? -1 : sorted.indexOf(best);
  if (bestIndex >= 0) {
    for (let i = bestIndex; i < sorted.length - 2; i++) [sorted[i], sorted[i + 1]] = [sorted[i + 1]!, sorted[i]!];
  }
  const effectiveLimit = best !== null && limit === 1 && sorted[sorted.length - 1] !== best ? 2 : limit;
  const doomed = sorted.slice(0, Math.max(0, sorted.length - effectiveLimit));
  for (const dir of doomed) await rm(dir, { recursive: true, force: true });
  return doomed;
}

/** resume_from_checkpoint: a path, or `true` for the newest complete checkpoint in output_dir. */
export async function resolveResumeDir(resume: string | boolean | null, outputDir: string): Promise<string | null> {
  if (resume === null || resume === false) return null;
  if (typeof resume === 'string') {
    const missing = await missingCheckpointFiles(resume);
    if (missing.length === CHECKPOINT_FILES.length) {
      throw new TrainerError('CHECKPOINT_NOT_FOUND', `resume_from_checkpoint ${resume} holds no checkpoint (no ${missing.join(', ')}); pass a checkpoint-<step> directory, or true|latest for the newest in output_dir.`);
    }
    if (missing.length > 0) {
      throw new TrainerError('CHECKPOINT_INVALID', `resume_from_checkpoint ${resume} is incomplete (no ${missing.join(', ')}): it was cut off mid-save; resume from an earlier checkpoint or true|latest.`);
    }
    return resume;
  }
  const checkpoints = await listCheckpoints(outputDir);
  const newest = checkpoints[checkpoints.length - 1];
  if (newest === undefined) {
    throw new TrainerError(
      'CHECKPOINT_NOT_FOUND',
      `resume_from_checkpoint=true but ${outputDir} holds no complete checkpoint-<step> directory; pass a path or drop the flag.`,
    );
  }
  return newest.dir;
}

/** Copies `<dir>/model.safetensors` into the model's parameters by Hugging Face name. */
export async function loadModelWeights(model: TrainableModel, dir: string): Promise<void> {
  // A LoRA model's parameters are its adapters, keyed as PEFT saves them in adapter_model.safetensors.
  const adapterFile = join(dir, WEIGHT_FILES[1]);
  const isAdapter = await access(adapterFile).then(() => true, () => false);
  const file = isAdapter ? adapterFile : join(dir, WEIGHT_FILES[0]);
  const { tensors } = await readSafetensors(file);
  for (const [name, variable] of model.parameters) {
    const found = tensors.get(name);
    if (found === undefined) {
      throw new TrainerError('CHECKPOINT_INVALID', `${file}: missing tensor "${name}" that the model has.`);
    }
    if (found.shape.length !== variable.shape.length || found.shape.some((d, i) => d !== variable.shape[i])) {
      throw new TrainerError(
        'CHECKPOINT_INVALID',
        `${file}: tensor "${name}" has shape [${found.shape.join(', ')}], the model expects [${variable.shape.join(', ')}].`,
      );
    }
    const value = tf.tensor(found.data, variable.shape, 'float32');
    variable.assign(value);
    value.dispose();
  }
}
