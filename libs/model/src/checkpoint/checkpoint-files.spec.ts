import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@tunefleet/compute';
import { errorCode } from '@tunefleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getWeights, loadPretrained } from '../pretrained.ts';
import { findWeightsFile, readCheckpointWeights, readShardedCheckpoint } from './checkpoint-files.ts';
import { readSafetensors } from './safetensors-read.ts';

const BIN_DIR = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));
const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/sequence-classification/', import.meta.url));

let scratch: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  scratch = await mkdtemp(join(tmpdir(), 'tunefleet-checkpoint-files-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('sharded checkpoints', () => {
  it.each([
    ['sharded-safetensors', 'model.safetensors.index.json'],
    ['sharded-bin', 'pytorch_model.bin.index.json'],
  ])('%s: the shards of the weight map hold the golden weights', async (dir, index) => {
    const { tensors, file } = await readCheckpointWeights(join(BIN_DIR, dir));
    expect(file).toBe(join(BIN_DIR, dir, index));
    const { tensors: golden } = await readSafetensors(join(GOLDEN_DIR, 'model.safetensors'));
    expect(new Set(tensors.keys())).toEqual(new Set(golden.keys()));
    for (const [name, expected] of golden) expect(tensors.get(name)!.data, name).toEqual(expected.data);
  });

  it('a weight map naming a missing shard or a tensor the shard lacks is CHECKPOINT_INDEX_INVALID', async () => {
    const dir = join(scratch, 'broken-index');
    await mkdir(dir);
    const source = join(BIN_DIR, 'sharded-safetensors');
    const index = JSON.parse(await readFile(join(source, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    await copyFile(join(source, 'model-00001-of-00002.safetensors'), join(dir, 'model-00001-of-00002.safetensors'));
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const missing = await failure(readShardedCheckpoint(join(dir, 'model.safetensors.index.json')));
    expect(errorCode(missing)).toBe('CHECKPOINT_INDEX_INVALID');
    expect(missing.message).toContain('model-00002-of-00002.safetensors');

    const wrong = { weight_map: { ...index.weight_map, 'classifier.bias': 'model-00001-of-00002.safetensors' } };
    await copyFile(join(source, 'model-00002-of-00002.safetensors'), join(dir, 'model-00002-of-00002.safetensors'));
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(wrong));
    const lacking = await failure(readShardedCheckpoint(join(dir, 'model.safetensors.index.json')));
    expect(errorCode(lacking)).toBe('CHECKPOINT_INDEX_INVALID');
    expect(lacking.message).toContain('tensor "classifier.bias"');

    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { x: '../../etc/passwd' } }));
    expect(errorCode(await failure(readShardedCheckpoint(join(dir, 'model.safetensors.index.json'))))).toBe('CHECKPOINT_INDEX_INVALID');
    await writeFile(join(dir, 'model.safetensors.index.json'), '{"metadata": {}}');
    expect((await failure(readShardedCheckpoint(join(dir, 'model.safetensors.index.json')))).message).toContain('"weight_map"');
  });
});

describe('findWeightsFile', () => {
  it('prefers model.safetensors, then its index, then pytorch_model.bin, then its index, as transformers does', async () => {
    const dir = join(scratch, 'preference');
    await mkdir(dir);
    await writeFile(join(dir, 'pytorch_model.bin.index.json'), '{}');
    expect(await findWeightsFile(dir)).toBe(join(dir, 'pytorch_model.bin.index.json'));
    await writeFile(join(dir, 'pytorch_model.bin'), '');
    expect(await findWeightsFile(dir)).toBe(join(dir, 'pytorch_model.bin'));
    await writeFile(join(dir, 'model.safetensors.index.json'), '{}');
    expect(await findWeightsFile(dir)).toBe(join(dir, 'model.safetensors.index.json'));
    await writeFile(join(dir, 'model.safetensors'), '');
    expect(await findWeightsFile(dir)).toBe(join(dir, 'model.safetensors'));
  });

  it('a directory without weights is CHECKPOINT_NOT_FOUND naming the directory and the four names', async () => {
    const error = await failure(findWeightsFile(scratch));
    expect(errorCode(error)).toBe('CHECKPOINT_NOT_FOUND');
    expect(error.message).toContain(scratch);
    expect(error.message).toContain('pytorch_model.bin.index.json');
  });
});

describe('loadPretrained from every format', () => {
  it.each(['zip', 'legacy', 'sharded-bin', 'sharded-safetensors'])('%s gives the model the safetensors checkpoint gives', async (dir) => {
    const reference = await loadPretrained(GOLDEN_DIR, { task: 'sequence-classification' });
    const lines: string[] = [];
    const loaded = await loadPretrained(join(BIN_DIR, dir), { task: 'sequence-classification', log: (line) => lines.push(line) });
    try {
      expect(loaded.report).toEqual(reference.report);
      expect(lines).toEqual([]); // position_ids is expected, never reported as unused
      const expected = getWeights(reference.model);
      const actual = getWeights(loaded.model);
      expect([...actual.keys()]).toEqual([...expected.keys()]);
      for (const [name, tensor] of expected) expect(actual.get(name)!.data, name).toEqual(tensor.data);
    } finally {
      reference.model.dispose();
      loaded.model.dispose();
    }
  });
});
