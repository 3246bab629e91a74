import { randomBytes } from 'node:crypto';
import { access, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from './checkpoint-error.ts';
import { shardFiles, readWeightMap } from './checkpoint-files.ts';
import { DTYPE_BYTES, type SupportedDtype } from './dtype.ts';
import { readSafetensors } from './safetensors-read.ts';
import { writeSafetensors } from './safetensors-write.ts';

/**
 * Rewrites the safetensors weights of a model directory in `dtype` (`save_pretrained` after
 * `model.to(torch.bfloat16)`): `model.safetensors`, or every shard `model.safetensors.index.json`
 * names (its `metadata.total_size` updated). Names, order, shapes and metadata are kept; values are
 * rounded to nearest even. Each file is replaced atomically. Returns the files rewritten.
 */
export async function castSafetensorsModel(dir: string, dtype: SupportedDtype): Promise<string[]> {
  const single = join(dir, 'model.safetensors');
  if (await exists(single)) {
    await castFile(single, dtype);
    return ['model.safetensors'];
  }
  const indexFile = join(dir, 'model.safetensors.index.json');
  if (!(await exists(indexFile))) {
    throw new CheckpointError('CHECKPOINT_NOT_FOUND', dir, 'no model.safetensors or model.safetensors.index.json to write in another dtype');
  }
  let totalBytes = 0;
  const shards = shardFiles(await readWeightMap(indexFile));
  for (const shard of shards) totalBytes += await castFile(join(dir, shard), dtype);
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { metadata?: Record<string, unknown> };
  const text = `${JSON.stringify({ ...index, metadata: { ...index.metadata, total_size: totalBytes } }, null, 2)}\n`;
  const temporary = `${indexFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, indexFile);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CheckpointError('CHECKPOINT_IO', indexFile, `cannot write the shard index: ${(cause as Error).message}`, undefined, { cause });
  }
  return [...shards, 'model.safetensors.index.json'];
}

/** Rewrites one safetensors file in `dtype` (atomically, names, order and metadata kept); returns its tensors' data bytes. */
export async function castSafetensorsFile(file: string, dtype: SupportedDtype): Promise<number> {
  return castFile(file, dtype);
}

async function castFile(file: string, dtype: SupportedDtype): Promise<number> {
  const { tensors, metadata } = await readSafetensors(file);
  await writeSafetensors(file, tensors, metadata, dtype);
  let bytes = 0;
  for (const tensor of tensors.values()) bytes += tensor.data.length * DTYPE_BYTES[dtype];
  return bytes;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
