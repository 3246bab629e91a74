import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type TrainableModel } from '@tunefleet/model';
import type { Optimizer } from './fused-adamw.ts';
import { TrainerError } from './trainer-error.ts';
import type { LrScheduler } from './lr-schedule.ts';
import { trainingArgumentsToJSON, type TrainingArguments } from './training-arguments.ts';

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** An output model: config.json + model.safetensors (model.save), extras, training_args.json. */
export async function writeModelDir(
  dir: string,
  model: TrainableModel,
  args: TrainingArguments,
  saveExtras: ((dir: string) => Promise<void>) | undefined,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(dir);
  if (saveExtras !== undefined) await saveExtras(dir);
  await writeJson(join(dir, 'training_args.json'), trainingArgumentsToJSON(args));
}

/** What a checkpoint adds to an output model so training can resume exactly. */
export async function writeOptimizerState(dir: string, optimizer: Optimizer, scheduler: LrScheduler): Promise<void> {
  await writeSafetensors(join(dir, 'optimizer.safetensors'), optimizer.stateTensors());
  await writeJson(join(dir, 'scheduler.json'), scheduler.toJSON());
}

/** Reads scheduler.json's optimizer step count. */
export async function readSchedulerStep(dir: string): Promise<number> {
  const file = join(dir, 'scheduler.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as { step?: unknown };
  if (typeof json.step !== 'number' || !Number.isInteger(json.step) || json.step < 0) {
    throw new TrainerError('CHECKPOINT_INVALID', `${file}: "step" must be a non-negative integer, got ${JSON.stringify(json.step)}.`);
  }
  return json.step;
}

/** `<split>_results.json`, and all_results.json merging every split, as HF's save_metrics. */
export async function writeResults(outputDir: string, split: string, metrics: Record<string, number>): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  await writeJson(join(outputDir, `${split}_results.json`), metrics);
  const allFile = join(outputDir, 'all_results.json');
  let all: Record<string, number> = {};
  try {
    all = JSON.parse(await readFile(allFile, 'utf8'));
  } catch {
    // first split written
  }
  await writeJson(allFile, { ...all, ...metrics });
}
