import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCode } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './checkpoint-error.ts';
import { readSafetensors } from './safetensors-read.ts';
import { parseTorchBin, readTorchBin } from './torch-bin-read.ts';

// Written by tools/reference/torch_bin_fixtures.py with torch 1.13 (Debian's /usr/bin/python3); regenerating is a reviewed commit.
const BIN_DIR = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));
const GOLDEN_WEIGHTS = fileURLToPath(new URL('../../fixtures/golden/sequence-classification/model.safetensors', import.meta.url));

async function rejection(file: string): Promise<CheckpointError> {
  const error = await readTorchBin(file).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  return error as CheckpointError;
}

describe('readTorchBin: files torch.save wrote', () => {
  it.each(['zip', 'zip-protocol4', 'legacy'])('%s: the golden weights, bit for bit, plus the int64 position_ids buffer', async (name) => {
    const tensors = await readTorchBin(join(BIN_DIR, name, 'pytorch_model.bin'));
    const { tensors: golden } = await readSafetensors(GOLDEN_WEIGHTS);
    expect([...tensors.keys()]).toEqual([...golden.keys(), 'bert.embeddings.position_ids']);
    for (const [tensorName, expected] of golden) {
      const actual = tensors.get(tensorName)!;
      expect(actual.shape, tensorName).toEqual(expected.shape);
      expect(actual.data, tensorName).toEqual(expected.data);
    }
    const positions = tensors.get('bert.embeddings.position_ids')!;
    expect(positions.shape).toEqual([1, 64]);
    expect([...positions.data]).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it.each(['dtypes.bin', 'dtypes-legacy.bin'])('%s: every storage type, views, strides, a Parameter, a scalar and an empty tensor', async (name) => {
    const expected = JSON.parse(await readFile(join(BIN_DIR, 'dtypes.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    const tensors = await readTorchBin(join(BIN_DIR, name));
    expect([...tensors.keys()]).toEqual(Object.keys(expected));
    for (const [tensorName, { shape, values }] of Object.entries(expected)) {
      const actual = tensors.get(tensorName)!;
      expect(actual.shape, tensorName).toEqual(shape);
      // float32 in memory: f64 values round to the nearest float32, everything else is exact
      expect([...actual.data], tensorName).toEqual(values.map((value) => Math.fround(value)));
    }
  });
});

describe('readTorchBin: hostile and damaged files', () => {
  it.each(['os-system.bin', 'os-system-protocol4.bin', 'os-system-legacy.bin'])(
    '%s: a __reduce__ that would run a shell command is refused, naming the file and the global',
    async (name) => {
      const marker = '/tmp/tunefleet-pwned';
      const existedBefore = existsSync(marker);
      const error = await rejection(join(BIN_DIR, 'hostile', name));
      expect(errorCode(error)).toBe('CHECKPOINT_PICKLE_REFUSED');
      expect(error.message).toContain(join(BIN_DIR, 'hostile', name));
      expect(error.message).toContain('global "posix.system"');
      expect(existsSync(marker)).toBe(existedBefore);
    },
  );

  it('an unknown global (a numpy array in the state dict) is refused', async () => {
    const error = await rejection(join(BIN_DIR, 'hostile', 'numpy-global.bin'));
    expect(errorCode(error)).toBe('CHECKPOINT_PICKLE_REFUSED');
    expect(error.message).toContain('global "numpy.core.multiarray._reconstruct"');
  });

  it('a truncated zip is CHECKPOINT_TRUNCATED', async () => {
    const error = await rejection(join(BIN_DIR, 'hostile', 'truncated.bin'));
    expect(errorCode(error)).toBe('CHECKPOINT_TRUNCATED');
    expect(error.message).toContain('truncated.bin');
  });

  it('a legacy file cut inside its storages is CHECKPOINT_TRUNCATED', async () => {
    const bytes = await readFile(join(BIN_DIR, 'legacy', 'pytorch_model.bin'));
    const error = (() => {
      try {
        parseTorchBin(bytes.subarray(0, bytes.byteLength - 100), 'cut.bin');
      } catch (caught) {
        return caught;
      }
    })();
    expect(errorCode(error)).toBe('CHECKPOINT_TRUNCATED');
  });

  it('a zip without data.pkl, a tar archive and random bytes say what they are', () => {
    const codeOf = (bytes: Uint8Array): string | undefined => {
      try {
        parseTorchBin(bytes, 'x.bin');
      } catch (caught) {
        return `${errorCode(caught)}: ${(caught as Error).message}`;
      }
    };
    const emptyZip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Array(26).fill(0), 0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
    expect(codeOf(emptyZip)).toMatch(/^CHECKPOINT_ZIP_INVALID/);
    const tar = new Uint8Array(512);
    tar.set(new TextEncoder().encode('ustar'), 257);
    expect(codeOf(tar)).toMatch(/^CHECKPOINT_FORMAT_UNSUPPORTED: x.bin: a tar archive/);
    expect(codeOf(new TextEncoder().encode('hello'))).toMatch(/^CHECKPOINT_FORMAT_UNSUPPORTED.*68 65 6c 6c/);
  });
});
