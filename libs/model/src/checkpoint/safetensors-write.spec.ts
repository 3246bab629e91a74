import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensors } from './safetensors-read.ts';
import { serializeSafetensors, writeSafetensors } from './safetensors-write.ts';
import type { TensorData } from './tensor-data.ts';

function sample(): Map<string, TensorData> {
  return new Map<string, TensorData>([
    ['bert.embeddings.word_embeddings.weight', { shape: [3, 2], data: new Float32Array([1, -2, 3.5, 1e-30, -0, 65504.5]) }],
    ['classifier.bias', { shape: [3], data: new Float32Array([0.1, Number.NaN, -Infinity]) }],
    ['scalar', { shape: [], data: new Float32Array([7]) }],
  ]);
}

function headerOf(bytes: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

describe('serializeSafetensors', () => {
  it('round-trips names, order, shapes and bit-exact values', () => {
    const tensors = sample();
    const { tensors: back, metadata } = parseSafetensors(serializeSafetensors(tensors, { step: '12' }), 'mem');
    expect([...back.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) {
      expect(back.get(name)?.shape).toEqual(tensor.shape);
      expect(new Uint32Array(back.get(name)!.data.buffer)).toEqual(new Uint32Array(tensor.data.buffer));
    }
    expect(metadata).toEqual({ format: 'pt', step: '12' });
  });

  it('pads the header with spaces to 8-byte alignment and writes format "pt" by default', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = serializeSafetensors(new Map([[name, { shape: [1], data: new Float32Array([1]) }]]));
      const { length, text } = headerOf(bytes);
      expect(length % 8).toBe(0);
      expect(text.trimEnd().length).toBeGreaterThan(length - 8);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
      expect(JSON.parse(text).__metadata__).toEqual({ format: 'pt' });
      expect(bytes.byteLength).toBe(8 + length + 4);
    }
  });

  it('writes F32 entries with contiguous data_offsets', () => {
    const header = JSON.parse(headerOf(serializeSafetensors(sample())).text);
    expect(header['classifier.bias']).toEqual({ dtype: 'F32', shape: [3], data_offsets: [24, 36] });
    expect(header.scalar).toEqual({ dtype: 'F32', shape: [], data_offsets: [36, 40] });
  });

  it('rejects a tensor whose data length does not match its shape, naming it', () => {
    const bad = new Map([['pooler.weight', { shape: [2, 2], data: new Float32Array(3) }]]);
    expect(() => serializeSafetensors(bad)).toThrow(/tensor "pooler\.weight": shape \[2, 2\] has 4 elements but data has 3/);
  });

  it('serializes a view into a larger buffer without its neighbours', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    const bytes = serializeSafetensors(new Map([['v', { shape: [2], data: backing.subarray(1, 3) }]]));
    expect(parseSafetensors(bytes, 'mem').tensors.get('v')?.data).toEqual(new Float32Array([1, 2]));
  });
});

describe('writeSafetensors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-write-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file readSafetensors reads back, creating the directory, leaving no temporary file', async () => {
    const file = join(dir, 'nested', 'model.safetensors');
    await writeSafetensors(file, sample());
    const { tensors } = await readSafetensors(file);
    expect(tensors.get('bert.embeddings.word_embeddings.weight')?.data).toEqual(sample().get('bert.embeddings.word_embeddings.weight')?.data);
    expect(await readdir(join(dir, 'nested'))).toEqual(['model.safetensors']);
  });

  it('names the target file when a tensor is inconsistent, and writes nothing', async () => {
    const file = join(dir, 'bad.safetensors');
    const bad = new Map([['w', { shape: [2], data: new Float32Array(1) }]]);
    await expect(writeSafetensors(file, bad)).rejects.toMatchObject({ code: 'CHECKPOINT_SIZE_MISMATCH', file, tensor: 'w' });
    expect((await readdir(dir)).filter((name) => name.startsWith('bad'))).toEqual([]);
  });

  it('reports an unwritable path as CHECKPOINT_IO and removes the temporary file', async () => {
    const file = join(dir, 'nested', 'model.safetensors', 'inside-a-file.safetensors');
    await expect(writeSafetensors(file, sample())).rejects.toMatchObject({ code: 'CHECKPOINT_IO', file });
  });
});
