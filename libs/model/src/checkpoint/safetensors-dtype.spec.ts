import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shouldRunTorchReference } from '../test-support.ts';
import { readCheckpointWeights } from './checkpoint-files.ts';
import { decodeToFloat32, encodeFromFloat32, float16ToNumber, float32BitsToBfloat16, numberToFloat16 } from './dtype.ts';
import { castSafetensorsModel } from './safetensors-cast.ts';
import { parseSafetensors, readSafetensors } from './safetensors-read.ts';
import { writeSafetensorsModel } from './safetensors-shards-write.ts';
import { serializeSafetensors, writeSafetensors } from './safetensors-write.ts';
import type { TensorData } from './tensor-data.ts';

const bitsOf = (value: number): number => new Uint32Array(new Float32Array([value]).buffer)[0]!;
const floatOf = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

function headerOf(bytes: Uint8Array): Record<string, { dtype?: string; data_offsets?: number[] }> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
}

/** Values that exercise rounding: ties, overflow, subnormals, signed zero, specials, and random ones. */
function probeValues(): Float32Array {
  const fixed = [0, -0, 1, -1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -26,
    2 ** -14, 2 ** -14 - 2 ** -25, 1e-30, 3.4e38, Infinity, -Infinity, Number.NaN, 0.1, -2.5e-3];
  let seed = 12345;
  const random = Array.from({ length: 2000 }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return ((seed / 2 ** 31) - 0.5) * 2 ** ((seed % 40) - 20);
  });
  return new Float32Array([...fixed, ...random]);
}

describe('bf16 and f16 encoding', () => {
  it('rounds float32 to bfloat16 to nearest even and keeps NaN a NaN', () => {
    expect(float32BitsToBfloat16(0x3f800000)).toBe(0x3f80); // 1
    expect(float32BitsToBfloat16(0x3f808000)).toBe(0x3f80); // tie, even stays
    expect(float32BitsToBfloat16(0x3f818000)).toBe(0x3f82); // tie, odd rounds up
    expect(float32BitsToBfloat16(0x3f808001)).toBe(0x3f81); // above the tie
    expect(float32BitsToBfloat16(0x7f7fffff)).toBe(0x7f80); // largest float32 rounds to infinity
    expect(float32BitsToBfloat16(0xff800000)).toBe(0xff80); // -Infinity
    expect(float32BitsToBfloat16(bitsOf(Number.NaN)) & 0x7fc0).toBe(0x7fc0);
    const wrong: number[] = [];
    for (let half = 0; half < 0x10000; half++) {
      if ((half & 0x7f80) === 0x7f80 && (half & 0x7f) !== 0) continue; // NaN payloads
      if (float32BitsToBfloat16(half << 16) !== half) wrong.push(half);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds numbers to float16 to nearest even, with subnormals, overflow to infinity and every half round-tripping', () => {
    expect(numberToFloat16(1)).toBe(0x3c00);
    expect(numberToFloat16(-0)).toBe(0x8000);
    expect(numberToFloat16(65504)).toBe(0x7bff);
    expect(numberToFloat16(65519)).toBe(0x7bff);
    expect(numberToFloat16(65520)).toBe(0x7c00); // the tie above the largest half is infinity
    expect(numberToFloat16(1e6)).toBe(0x7c00);
    expect(numberToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie, even stays
    expect(numberToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, odd rounds up
    expect(numberToFloat16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(numberToFloat16(2 ** -25)).toBe(0x0000); // tie with zero, even
    expect(numberToFloat16(3 * 2 ** -26)).toBe(0x0001);
    expect(numberToFloat16(2 ** -14 - 2 ** -25)).toBe(0x0400); // carries into the smallest normal
    expect(numberToFloat16(Number.NaN) & 0x7e00).toBe(0x7e00);
    const wrong: number[] = [];
    for (let half = 0; half < 0x10000; half++) {
      if ((half & 0x7c00) === 0x7c00 && (half & 0x3ff) !== 0) continue; // NaN payloads
      if (numberToFloat16(float16ToNumber(half)) !== half) wrong.push(half);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes what it encodes to the nearest representable value', () => {
    const values = probeValues();
    for (const dtype of ['BF16', 'F16'] as const) {
      const back = decodeToFloat32(encodeFromFloat32(values, dtype), dtype);
      for (let i = 0; i < values.length; i++) {
        const value = values[i]!;
        if (Number.isNaN(value)) expect(back[i]).toBeNaN();
        else if (Number.isFinite(back[i]!) && Math.abs(value) > 2 ** -14 && Math.abs(value) < 60000) {
          // Relative error of a normal value: half an ulp (2^-8 for bf16, 2^-11 for f16).
          expect(Math.abs(back[i]! - value) / Math.abs(value)).toBeLessThanOrEqual(dtype === 'BF16' ? 2 ** -8 : 2 ** -11);
        }
      }
    }
    expect(floatOf(float32BitsToBfloat16(bitsOf(0.1)) << 16)).toBe(0.10009765625);
  });
});

describe('safetensors of another dtype', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-dtype-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const tensors = (): Map<string, TensorData> =>
    new Map<string, TensorData>([
      ['bert.embeddings.word_embeddings.weight', { shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => (i - 7) * 0.3337) }],
      ['classifier.bias', { shape: [3], data: new Float32Array([0.1, -1e-3, 70000]) }],
      ['scalar', { shape: [], data: new Float32Array([7]) }],
    ]);

  it('writes BF16 and F16 headers, 2-byte offsets, and reads back the rounded values as float32', () => {
    for (const dtype of ['BF16', 'F16'] as const) {
      const bytes = serializeSafetensors(tensors(), { step: '3' }, dtype);
      const header = headerOf(bytes);
      expect(header['bert.embeddings.word_embeddings.weight']).toEqual({ dtype, shape: [3, 5], data_offsets: [0, 30] });
      expect(header['classifier.bias']).toEqual({ dtype, shape: [3], data_offsets: [30, 36] });
      expect(header['scalar']?.data_offsets).toEqual([36, 38]);
      const { tensors: back, metadata } = parseSafetensors(bytes, 'mem');
      expect(metadata).toEqual({ format: 'pt', step: '3' });
      for (const [name, tensor] of tensors()) {
        expect(back.get(name)!.data).toEqual(decodeToFloat32(encodeFromFloat32(tensor.data, dtype), dtype));
      }
      expect(back.get('classifier.bias')!.data[2]).toBe(dtype === 'F16' ? Infinity : 70144);
    }
  });

  it('castSafetensorsModel rewrites model.safetensors in place, keeping names, order and metadata', async () => {
    const model = join(dir, 'single');
    await writeSafetensors(join(model, 'model.safetensors'), tensors(), { format: 'pt', origin: 'test' });
    expect(await castSafetensorsModel(model, 'BF16')).toEqual(['model.safetensors']);
    const bytes = await readFile(join(model, 'model.safetensors'));
    expect(Object.values(headerOf(bytes)).filter((entry) => entry.dtype !== undefined).map((entry) => entry.dtype)).toEqual(['BF16', 'BF16', 'BF16']);
    const { tensors: back, metadata } = await readSafetensors(join(model, 'model.safetensors'));
    expect([...back.keys()]).toEqual([...tensors().keys()]);
    expect(metadata).toEqual({ format: 'pt', origin: 'test' });
    expect(back.get('scalar')!.data[0]).toBe(7);
    expect(await readdir(model)).toEqual(['model.safetensors']); // no temporary left behind
  });

  it('castSafetensorsModel rewrites every shard and the index total_size', async () => {
    const model = join(dir, 'sharded');
    const files = await writeSafetensorsModel(model, tensors(), { maxShardBytes: 64 });
    expect(files).toHaveLength(3); // 60 + 12 + 4 bytes in F32: two shards and the index
    await castSafetensorsModel(model, 'F16');
    const index = JSON.parse(await readFile(join(model, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(38);
    const { tensors: back } = await readCheckpointWeights(model);
    const original = tensors();
    for (const [name, tensor] of back) expect(tensor.data).toEqual(decodeToFloat32(encodeFromFloat32(original.get(name)!.data, 'F16'), 'F16'));
  });

  it('writeSafetensorsModel counts the shard limit in the dtype written', async () => {
    const model = join(dir, 'bf16-shards');
    // 15 + 3 + 1 values: 38 bytes in BF16 fit one 40-byte shard (76 in F32 would not).
    expect(await writeSafetensorsModel(model, tensors(), { maxShardBytes: 40, dtype: 'BF16' })).toEqual(['model.safetensors']);
    expect(headerOf(await readFile(join(model, 'model.safetensors')))['scalar']?.dtype).toBe('BF16');
  });

  it('castSafetensorsModel names the directory when it holds no safetensors weights', async () => {
    await expect(castSafetensorsModel(join(dir, 'empty-none'), 'BF16')).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });
  });

  it.skipIf(!shouldRunTorchReference())("rounds exactly as torch's .to(bfloat16) and .to(float16)", async () => {
    const values = probeValues();
    const input = join(dir, 'probe.f32');
    await writeFile(input, encodeFromFloat32(values, 'F32'));
    const script = [
      'import sys, torch',
      'x = torch.frombuffer(bytearray(open(sys.argv[1], "rb").read()), dtype=torch.float32)',
      'print(",".join(str(int(v)) for v in x.to(torch.bfloat16).view(torch.int16).tolist()))',
      'print(",".join(str(int(v)) for v in x.to(torch.float16).view(torch.int16).tolist()))',
    ].join('\n');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, input], { maxBuffer: 16 << 20 });
    const [bf16, f16] = stdout.trim().split('\n').map((line) => line.split(',').map((v) => Number(v) & 0xffff));
    const ours = (dtype: 'BF16' | 'F16'): number[] => [...new Uint16Array(encodeFromFloat32(values, dtype).slice().buffer)];
    const isNaNBits = (bits: number, dtype: 'BF16' | 'F16'): boolean => (dtype === 'BF16' ? (bits & 0x7f80) === 0x7f80 && (bits & 0x7f) !== 0 : (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0);
    for (const [dtype, theirs] of [['BF16', bf16!], ['F16', f16!]] as const) {
      const mine = ours(dtype);
      expect(mine).toHaveLength(theirs.length);
      // NaN payloads may differ; every other value must be bit-identical.
      const wrong = mine.flatMap((bits, i) => (isNaNBits(theirs[i]!, dtype) ? isNaNBits(bits, dtype) : bits === theirs[i]) ? [] : [`${values[i]}: ${bits} != ${theirs[i]}`]);
      expect(wrong, dtype).toEqual([]);
    }
  });
});
