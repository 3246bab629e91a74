import { access, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { castSafetensorsFile, castSafetensorsModel, readConfigJson, writeModelConfig, writeSafetensors, type SupportedDtype, type TrainableModel } from '@tunefleet/model';
import type { Optimizer } from './fused-adamw.ts';
import { TrainerError } from './trainer-error.ts';
import type { LrScheduler } from './lr-schedule.ts';
import { trainingArgumentsToJSON, type TrainingArguments } from './training-arguments.ts';

export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** save_dtype -> the safetensors dtype and config.json's `torch_dtype` as transformers writes them. */
export const SAVE_DTYPES: Readonly<Record<TrainingArguments['save_dtype'], { readonly safetensors: SupportedDtype; readonly torchDtype: string }>> = {
  fp32: { safetensors: 'F32', torchDtype: 'float32' },
  bf16: { safetensors: 'BF16', torchDtype: 'bfloat16' },
  f16: { safetensors: 'F16', torchDtype: 'float16' },
};

/**
 * An output model: config.json + model.safetensors (model.save), extras, training_args.json. With
 * save_dtype bf16/f16 the weights are rewritten in that dtype and config.json says so in
 * `torch_dtype`; fp32 leaves model.save's files as they are, except a `torch_dtype` other than
 * float32 the model was loaded with (a bf16 checkpoint trained on), which would misname the weights.
 */
export async function writeModelDir(
  dir: string,
  model: TrainableModel,
  args: TrainingArguments,
  saveExtras: ((dir: string) => Promise<void>) | undefined,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (args.save_dtype === 'fp32') {
    await model.save(dir);
    await keepTorchDtypeFloat32(join(dir, 'config.json'));
  } else {
    const { safetensors, torchDtype } = SAVE_DTYPES[args.save_dtype];
    await model.save(dir, { torch_dtype: torchDtype });
    await castSavedWeights(dir, safetensors);
  }
  if (saveExtras !== undefined) await saveExtras(dir);
  await writeJson(join(dir, 'training_args.json'), trainingArgumentsToJSON(args));
}

/** The model's weights (single file or shards) and, for a LoRA model, its adapter file (PEFT saves it in the model's dtype). */
async function castSavedWeights(dir: string, dtype: SupportedDtype): Promise<void> {
  const adapter = join(dir, 'adapter_model.safetensors');
  const hasAdapter = await access(adapter).then(() => true, () => false);
  if (hasAdapter) await castSafetensorsFile(adapter, dtype);
  const hasWeights = await Promise.all(['model.safetensors', 'model.safetensors.index.json'].map((name) => access(join(dir, name)).then(() => true, () => false)));
  if (hasWeights.includes(true) || !hasAdapter) await castSafetensorsModel(dir, dtype);
}

async function keepTorchDtypeFloat32(configFile: string): Promise<void> {
  if (!(await access(configFile).then(() => true, () => false))) return; // a LoRA model writes adapter_config.json only
  const config = (await readConfigJson(configFile)) as Record<string, unknown>;
  if (config.torch_dtype !== undefined && config.torch_dtype !== 'float32') await writeModelConfig(configFile, { ...config, torch_dtype: 'float32' });
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
