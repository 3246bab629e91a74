// Test-only helpers for the data-parallel integration tests: a tiny BERT, a synthetic labelled
// dataset, and parameter comparison.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tunefleet/compute';
import { EncodedDataset } from '@tunefleet/data';
import { createModel, parseBertConfig, type BertConfig, type BertModel } from '@tunefleet/model';
import { parseTrainingArguments, type TrainingArguments, type TrainingArgumentsInput } from '@tunefleet/trainer';

/** hidden 32, 2 layers, 4 heads; dropout off so ranks and runs are comparable. */
export function tinyBertConfig(vocabSize: number, extra: Record<string, unknown> = {}): BertConfig {
  return parseBertConfig(
    {
      vocab_size: vocabSize,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 37,
      max_position_embeddings: 32,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      ...extra,
    },
    '<data-parallel test>',
  );
}

export const TINY_BERT = tinyBertConfig(100, { id2label: { 0: 'neg', 1: 'pos' } });

export async function useCpu(): Promise<void> {
  await initBackend({ backend: 'cpu' });
}

/** The same initial weights every call. */
export function tinyModel(): BertModel {
  return createModel(TINY_BERT, 'sequence-classification', { seed: 7 });
}

/** `size` rows [CLS, 4-10 ids, SEP]; label 1 when most ids are >= 50 (learnable). */
export function syntheticDataset(size: number, seed = 3): EncodedDataset {
  let state = seed >>> 0;
  const next = (n: number): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n;
  const rows = Array.from({ length: size }, () => Array.from({ length: 4 + next(7) }, () => 5 + next(95)));
  const inputIds = rows.map((ids) => [1, ...ids, 2]);
  return new EncodedDataset(
    {
      inputIds,
      attentionMask: inputIds.map((r) => r.map(() => 1)),
      tokenTypeIds: inputIds.map((r) => r.map(() => 0)),
      labels: rows.map((ids) => (ids.filter((id) => id >= 50).length * 2 > ids.length ? 1 : 0)),
    },
    0,
  );
}

export function trainingArgs(input: Partial<TrainingArgumentsInput> & { output_dir: string }): TrainingArguments {
  return parseTrainingArguments(
    { learning_rate: 5e-3, num_train_epochs: 2, save_strategy: 'no', logging_steps: 1, seed: 11, disable_tqdm: true, ...input },
    'data-parallel test',
  );
}

export function snapshot(model: Pick<BertModel, 'parameters'>): Map<string, Float32Array> {
  return new Map([...model.parameters].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

/** Largest over parameters of max|a - b| / max|b| (a relative error per tensor). */
export function maxRelativeDifference(
  a: Map<string, Float32Array>,
  b: Map<string, Float32Array>,
  isCompared: (name: string) => boolean = () => true,
): { name: string; value: number } {
  let worst = { name: '', value: 0 };
  for (const [name, reference] of b) {
    if (!isCompared(name)) continue;
    const actual = a.get(name);
    if (actual === undefined || actual.length !== reference.length) return { name, value: Number.POSITIVE_INFINITY };
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < reference.length; i++) {
      diff = Math.max(diff, Math.abs(actual[i]! - reference[i]!));
      scale = Math.max(scale, Math.abs(reference[i]!));
    }
    const value = diff / Math.max(scale, 1e-12);
    if (value > worst.value) worst = { name, value };
  }
  return worst;
}

const directories: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tunefleet-dp-'));
  directories.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
