import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError } from './checkpoint-error.ts';
import { parseSafetensors, readSafetensors } from './safetensors-read.ts';

const FILE = 'corrupt.safetensors';

/** Builds a file from a header (object or raw text) and a data section, as a writer would. */
function build(header: unknown, dataBytes: number, options: { rawHeader?: Uint8Array; lengthOverride?: bigint } = {}): Uint8Array {
  const headerBytes = options.rawHeader ?? new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, options.lengthOverride ?? BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  return out;
}

function f32Entry(shape: number[], begin: number): { dtype: string; shape: number[]; data_offsets: number[] } {
  return { dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] };
}

function parseError(bytes: Uint8Array): CheckpointError {
  try {
    parseSafetensors(bytes, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('expected parseSafetensors to throw');
}

function expectError(bytes: Uint8Array, code: string, tensor: string | undefined, ...fragments: string[]): void {
  const error = parseError(bytes);
  expect(error.code).toBe(code);
  expect(error.file).toBe(FILE);
  expect(error.tensor).toBe(tensor);
  expect(error.message).toContain(FILE);
  if (tensor !== undefined) expect(error.message).toContain(`"${tensor}"`);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

describe('parseSafetensors on valid input', () => {
  it('decodes F32 values, shapes, header order and metadata', () => {
    const bytes = build({ __metadata__: { format: 'pt' }, b: f32Entry([2], 0), a: f32Entry([1, 1], 8) }, 12);
    const view = new DataView(bytes.buffer);
    const dataStart = bytes.byteLength - 12;
    [1.5, -2, 0.25].forEach((value, i) => view.setFloat32(dataStart + 4 * i, value, true));
    const { tensors, metadata } = parseSafetensors(bytes, FILE);
    expect([...tensors.keys()]).toEqual(['b', 'a']);
    expect(tensors.get('b')).toEqual({ shape: [2], data: new Float32Array([1.5, -2]) });
    expect(tensors.get('a')).toEqual({ shape: [1, 1], data: new Float32Array([0.25]) });
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('decodes a Node Buffer that is a view at an odd offset into a larger buffer', () => {
    const bytes = build({ w: f32Entry([2], 0) }, 8);
    new DataView(bytes.buffer).setFloat32(bytes.byteLength - 8, 3.25, true);
    new DataView(bytes.buffer).setFloat32(bytes.byteLength - 4, -1, true);
    const backing = Buffer.alloc(bytes.byteLength + 11, 0xaa);
    backing.set(bytes, 3);
    const view = backing.subarray(3, 3 + bytes.byteLength);
    expect(parseSafetensors(view, FILE).tensors.get('w')?.data).toEqual(new Float32Array([3.25, -1]));
  });

  it('accepts scalars and empty tensors, which may share an offset', () => {
    const bytes = build({ s: f32Entry([], 0), e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] } }, 4);
    const { tensors } = parseSafetensors(bytes, FILE);
    expect(tensors.get('s')?.data.length).toBe(1);
    expect(tensors.get('e')).toEqual({ shape: [0, 3], data: new Float32Array(0) });
  });
});

describe('parseSafetensors rejects each kind of corruption with a CheckpointError', () => {
  it('file shorter than the 8-byte length prefix', () => {
    expectError(new Uint8Array(5), 'CHECKPOINT_TRUNCATED', undefined, '5 bytes');
  });

  it('header length larger than the file', () => {
    expectError(build({}, 0, { lengthOverride: 1000n }), 'CHECKPOINT_TRUNCATED', undefined, '1000 bytes', 'only 2 bytes');
  });

  it('header length of 2^64 - 1 (no RangeError escapes)', () => {
    expectError(build({}, 0, { lengthOverride: 2n ** 64n - 1n }), 'CHECKPOINT_TRUNCATED', undefined, 'truncated');
  });

  it('header that is not valid UTF-8', () => {
    expectError(build(null, 0, { rawHeader: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 'CHECKPOINT_HEADER_INVALID', undefined, 'UTF-8');
  });

  it('header that is not valid JSON', () => {
    expectError(build(null, 0, { rawHeader: new TextEncoder().encode('{"a": ') }), 'CHECKPOINT_HEADER_INVALID', undefined, 'not valid JSON');
  });

  it('header that is JSON but not an object', () => {
    expectError(build([1, 2], 0), 'CHECKPOINT_HEADER_INVALID', undefined, 'must be a JSON object', '[1,2]');
  });

  it('entry that is not an object', () => {
    expectError(build({ w: 3 }, 0), 'CHECKPOINT_ENTRY_INVALID', 'w', 'entry must be an object');
  });

  it('entry missing dtype', () => {
    expectError(build({ w: { shape: [1], data_offsets: [0, 4] } }, 4), 'CHECKPOINT_ENTRY_INVALID', 'w', '"dtype"', 'missing');
  });

  it('entry missing shape', () => {
    expectError(build({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4), 'CHECKPOINT_ENTRY_INVALID', 'w', '"shape"', 'missing');
  });

  it('entry missing data_offsets', () => {
    expectError(build({ w: { dtype: 'F32', shape: [1] } }, 4), 'CHECKPOINT_ENTRY_INVALID', 'w', '"data_offsets"', 'missing');
  });

  it('shape of the wrong type (negative or fractional dimension)', () => {
    expectError(build({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 4] } }, 4), 'CHECKPOINT_ENTRY_INVALID', 'w', '"shape"', '[2,-1]');
  });

  it('data_offsets of the wrong type (begin after end)', () => {
    expectError(build({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 8), 'CHECKPOINT_ENTRY_INVALID', 'w', '"data_offsets"', '[8,4]');
  });

  it('unsupported dtype, named, with the supported list', () => {
    expectError(build({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8), 'CHECKPOINT_DTYPE_UNSUPPORTED', 'w', 'I64', 'F32, F16, BF16');
  });

  it('shape x dtype size different from the offsets span', () => {
    expectError(build({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, 8), 'CHECKPOINT_SIZE_MISMATCH', 'w', 'needs 6 bytes', 'span 8');
  });

  it('offsets past the end of the data section', () => {
    expectError(build({ w: f32Entry([4], 0) }, 12), 'CHECKPOINT_OFFSETS_OUT_OF_RANGE', 'w', '[0, 16]', '12-byte data section');
  });

  it('overlapping offsets between two tensors, naming both', () => {
    expectError(build({ first: f32Entry([2], 0), second: f32Entry([2], 4) }, 12), 'CHECKPOINT_OFFSETS_OVERLAP', 'second', '"first"');
  });

  it('__metadata__ that is not an object', () => {
    expectError(build({ __metadata__: ['pt'] }, 0), 'CHECKPOINT_METADATA_INVALID', undefined, '__metadata__');
  });

  it('__metadata__ with a non-string value', () => {
    expectError(build({ __metadata__: { format: 'pt', step: 3 } }, 0), 'CHECKPOINT_METADATA_INVALID', undefined, '__metadata__.step');
  });
});

describe('readSafetensors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a missing file as CHECKPOINT_IO naming the path', async () => {
    const file = join(dir, 'absent.safetensors');
    await expect(readSafetensors(file)).rejects.toMatchObject({ code: 'CHECKPOINT_IO', file, message: expect.stringContaining(file) });
  });

  it('names the path in parse errors of a file on disk', async () => {
    const file = join(dir, 'short.safetensors');
    await writeFile(file, new Uint8Array(3));
    await expect(readSafetensors(file)).rejects.toMatchObject({ code: 'CHECKPOINT_TRUNCATED', file });
  });
});
