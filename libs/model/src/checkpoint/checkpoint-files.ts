import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from './checkpoint-error.ts';
import { readSafetensors } from './safetensors-read.ts';
import type { TensorData } from './tensor-data.ts';
import { readTorchBin } from './torch-bin-read.ts';

/** The weight files of a Hugging Face model directory, in the order transformers prefers them. */
export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;
export type WeightFile = (typeof WEIGHT_FILES)[number];

export function isShardIndex(file: string): boolean {
  return file.endsWith('.index.json');
}

/** The first of WEIGHT_FILES present in `dir`; CHECKPOINT_NOT_FOUND names the directory and what it looked for. */
export async function findWeightsFile(dir: string): Promise<string> {
  for (const name of WEIGHT_FILES) {
    const file = join(dir, name);
    if (await isFile(file)) return file;
  }
  throw new CheckpointError('CHECKPOINT_NOT_FOUND', dir, `no weights: expected one of ${WEIGHT_FILES.join(', ')} in the model directory`);
}

/** The weights of a model directory (safetensors, sharded safetensors, pytorch_model.bin or sharded .bin), and the file they came from. */
export async function readCheckpointWeights(dir: string): Promise<{ tensors: Map<string, TensorData>; file: string }> {
  const file = await findWeightsFile(dir);
  return { tensors: await readWeightsFile(file), file };
}

/** One weights file: `*.safetensors`, a torch `*.bin`, or a shard index `*.index.json`. */
export async function readWeightsFile(file: string): Promise<Map<string, TensorData>> {
  if (isShardIndex(file)) return readShardedCheckpoint(file);
  if (file.endsWith('.safetensors')) return (await readSafetensors(file)).tensors;
  return readTorchBin(file);
}

/**
 * `model.safetensors.index.json` / `pytorch_model.bin.index.json`: `{ metadata?, weight_map: { tensor: shard file } }`,
 * the shards beside the index. Every tensor the map names must be in its shard.
 */
export async function readShardedCheckpoint(indexFile: string): Promise<Map<string, TensorData>> {
  const weightMap = await readWeightMap(indexFile);
  const dir = dirname(indexFile);
  const tensors = new Map<string, TensorData>();
  for (const shard of shardFiles(weightMap)) {
    const shardFile = join(dir, shard);
    if (!(await isFile(shardFile))) {
      throw new CheckpointError('CHECKPOINT_INDEX_INVALID', indexFile, `weight_map names shard ${shard}, which is not in ${dir}`);
    }
    const shardTensors = await readWeightsFile(shardFile);
    for (const [name, file] of weightMap) {
      if (file !== shard) continue;
      const tensor = shardTensors.get(name);
      if (tensor === undefined) throw new CheckpointError('CHECKPOINT_INDEX_INVALID', indexFile, `weight_map puts it in ${shard}, which does not hold it`, name);
      tensors.set(name, tensor);
    }
  }
  return tensors;
}

/** The `weight_map` of a shard index, validated: tensor name -> shard file name (a plain name beside the index). */
export async function readWeightMap(indexFile: string): Promise<Map<string, string>> {
  let index: unknown;
  try {
    index = JSON.parse(await readFile(indexFile, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code === undefined ? 'CHECKPOINT_INDEX_INVALID' : 'CHECKPOINT_IO';
    throw new CheckpointError(code, indexFile, `cannot read the shard index: ${(cause as Error).message}`, undefined, { cause });
  }
  const weightMap = typeof index === 'object' && index !== null ? (index as Record<string, unknown>)['weight_map'] : undefined;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError('CHECKPOINT_INDEX_INVALID', indexFile, '"weight_map" must be an object mapping tensor names to shard files');
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard === '' || basename(shard) !== shard || shard === '..') {
      throw new CheckpointError('CHECKPOINT_INDEX_INVALID', indexFile, `"weight_map" entry must be a shard file name beside the index, got ${JSON.stringify(shard)}`, name);
    }
    map.set(name, shard);
  }
  if (map.size === 0) throw new CheckpointError('CHECKPOINT_INDEX_INVALID', indexFile, '"weight_map" is empty');
  return map;
}

/** The distinct shard files of a weight map, in first-use order. */
export function shardFiles(weightMap: ReadonlyMap<string, string>): string[] {
  return [...new Set(weightMap.values())];
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
