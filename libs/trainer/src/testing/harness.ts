// Test-only: builds Trainers over the tiny model with temporary output directories.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainingArguments, type TrainingArgumentsInput } from '../training-arguments.ts';
import { Trainer } from '../trainer.ts';
import type { TrainerOptions } from '../trainer-types.ts';
import { ArrayBatchSource, makeExamples, TINY_CONFIG, TinyClassifier, type TinyModelConfig } from './tiny-model.ts';

export const TRAIN_SET = new ArrayBatchSource(makeExamples(32, TINY_CONFIG.vocabSize, 11));
export const EVAL_SET = new ArrayBatchSource(makeExamples(12, TINY_CONFIG.vocabSize, 99));

const directories: string[] = [];

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tunefleet-trainer-'));
  directories.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export function makeTrainer(
  args: Partial<TrainingArgumentsInput> & { output_dir: string },
  options: Partial<Omit<TrainerOptions, 'args' | 'model'>> = {},
  modelConfig: Partial<TinyModelConfig> = {},
): { trainer: Trainer; model: TinyClassifier } {
  const model = new TinyClassifier({ ...TINY_CONFIG, ...modelConfig });
  const parsed = parseTrainingArguments(
    { learning_rate: 0.05, save_strategy: 'no', logging_steps: 1, per_device_train_batch_size: 4, num_train_epochs: 1, ...args },
    'test',
  );
  return { trainer: new Trainer({ model, args: parsed, trainDataset: TRAIN_SET, evalDataset: EVAL_SET, ...options }), model };
}

export function maxAbsDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let max = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]! - other[i]!));
  }
  return max;
}

/** A scripted metric sequence, one value per evaluation. */
export function scriptedMetric(name: string, values: number[]): () => Record<string, number> {
  let call = 0;
  return () => ({ [name]: values[Math.min(call++, values.length - 1)]! });
}
