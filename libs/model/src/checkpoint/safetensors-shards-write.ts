import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from './checkpoint-error.ts';
import { DTYPE_BYTES, type SupportedDtype } from './dtype.ts';
import { writeSafetensors } from './safetensors-write.ts';
import type { TensorData } from './tensor-data.ts';

/** transformers' `save_pretrained(max_shard_size="5GB")`: 5 x 10^9 bytes (its "GB" is decimal). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

const SHARD_NAME = /^model-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Writes a model's weights into `dir` as transformers does: `model.safetensors` when they fit in
 * `maxShardBytes`, else `model-00001-of-0000N.safetensors` shards plus `model.safetensors.index.json`
 * (`metadata.total_size`, `weight_map`). Tensors are packed in order; a tensor larger than the limit
 * gets a shard of its own. Weight files of an earlier save that the new one does not use are
 * removed, so a reader never mixes two saves. `dtype` (F32 by default) is the element type written,
 * and the one the shard limit counts. Returns the files written.
 */
export async function writeSafetensorsModel(
  dir: string,
  tensors: ReadonlyMap<string, TensorData>,
  options: { maxShardBytes?: number; metadata?: Record<string, string>; dtype?: SupportedDtype } = {},
): Promise<string[]> {
  const maxShardBytes = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxShardBytes > 0)) throw new CheckpointError('CHECKPOINT_ENTRY_INVALID', dir, `maxShardBytes must be positive, got ${maxShardBytes}`);
  const dtype = options.dtype ?? 'F32';
  const shards = planShards(tensors, maxShardBytes, DTYPE_BYTES[dtype]);
  await mkdir(dir, { recursive: true });
  const metadata = { format: 'pt', ...options.metadata };
  if (shards.length <= 1) {
    await removeStale(dir, new Set(['model.safetensors']));
    await writeSafetensors(join(dir, 'model.safetensors'), tensors, metadata, dtype);
    return ['model.safetensors'];
  }
  const names = shards.map((_, i) => `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`);
  await removeStale(dir, new Set([...names, 'model.safetensors.index.json']));
  const weightMap: Record<string, string> = {};
  let totalBytes = 0;
  for (const [i, shard] of shards.entries()) {
    const part = new Map<string, TensorData>();
    for (const name of shard) {
      const tensor = tensors.get(name)!;
      part.set(name, tensor);
      weightMap[name] = names[i];
      totalBytes += tensor.data.length * DTYPE_BYTES[dtype];
    }
    await writeSafetensors(join(dir, names[i]), part, metadata, dtype);
  }
  const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const index = `${JSON.stringify({ metadata: { total_size: totalBytes }, weight_map: sortedMap }, null, 2)}\n`;
  const indexFile = join(dir, 'model.safetensors.index.json');
  const temporary = `${indexFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, index, 'utf8');
    await rename(temporary, indexFile);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CheckpointError('CHECKPOINT_IO', indexFile, `cannot write the shard index: ${(cause as Error).message}`, undefined, { cause });
  }
  return [...names, 'model.safetensors.index.json'];
}

/** Tensor names per shard: in order, a new shard once the next tensor would pass the limit (`elementBytes` a value: F32's 4 by default). */
export function planShards(tensors: ReadonlyMap<string, TensorData>, maxShardBytes: number, elementBytes = 4): string[][] {
  const shards: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const [name, tensor] of tensors) {
    const bytes = tensor.data.length * elementBytes;
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(name);
    currentBytes += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/** Removes safetensors weight files of an earlier save (single file, index, shards) not in `keep`. */
async function removeStale(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const entries = await readdir(dir);
  const stale = entries.filter((name) => !keep.has(name) && (name === 'model.safetensors' || name === 'model.safetensors.index.json' || SHARD_NAME.test(name)));
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}
