import { spawnSync } from 'node:child_process';
// Helpers shared by this lib's specs (not exported from index.ts).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@tunefleet/compute';
import type { ModelBatch } from './trainable.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));

/** Backends the parity tests run on: cpu and wasm always, native when it starts on this machine. */
export async function availableBackends(): Promise<string[]> {
  const names = ['cpu', 'wasm'];
  const native = await initBackend({ backend: 'native' }).then(
    () => true,
    () => false,
  );
  if (native) names.push('native');
  return names;
}

/** inputs.json as the reference writes it (nested arrays) → a ModelBatch. */
export async function readBatch(file: string): Promise<ModelBatch> {
  const json = JSON.parse(await readFile(file, 'utf8')) as {
    input_ids: number[][];
    attention_mask: number[][];
    token_type_ids: number[][];
    labels: number[] | number[][];
  };
  return {
    batchSize: json.input_ids.length,
    seqLength: json.input_ids[0].length,
    inputIds: Int32Array.from(json.input_ids.flat()),
    attentionMask: Int32Array.from(json.attention_mask.flat()),
    tokenTypeIds: Int32Array.from(json.token_type_ids.flat()),
    labels: Int32Array.from(json.labels.flat()),
  };
}

/** max |a - b| and max |ref| over two equally long arrays. */
export function maxAbsDiff(actual: ArrayLike<number>, reference: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return { diff, scale };
}

/**
 * Whether Debian's PyTorch (the golden reference, `/usr/bin/python3`) can run here. Tests that need
 * it skip without it on a developer machine, and fail in CI, which sets TUNEFLEET_REQUIRE_TORCH=1.
 */
export function shouldRunTorchReference(): boolean {
  if (process.env.TUNEFLEET_REQUIRE_TORCH === '1') return true;
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}
