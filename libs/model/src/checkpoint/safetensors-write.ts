import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointError } from './checkpoint-error.ts';
import { DTYPE_BYTES, encodeFromFloat32, type SupportedDtype } from './dtype.ts';
import { elementCount, type TensorData } from './tensor-data.ts';

// Python's safetensors/transformers refuse files whose metadata lacks a known "format".
const DEFAULT_METADATA: Readonly<Record<string, string>> = { format: 'pt' };
const HEADER_ALIGNMENT_BYTES = 8;

/**
 * Serializes `tensors` as safetensors of `dtype` (F32 by default; BF16 and F16 rounded to nearest
 * even, as torch's `.to()`), data in map order. The header is padded with spaces so the data section
 * starts 8-byte aligned, as the Python writer does. `metadata` is merged over `{ format: "pt" }`.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorData>,
  metadata: Record<string, string> = {},
  dtype: SupportedDtype = 'F32',
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { ...DEFAULT_METADATA, ...metadata } };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    checkTensor(name, tensor);
    const byteLength = tensor.data.length * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.byteLength / HEADER_ALIGNMENT_BYTES) * HEADER_ALIGNMENT_BYTES;
  const headerBytes = new Uint8Array(paddedLength).fill(0x20); // trailing spaces, valid JSON whitespace
  headerBytes.set(json);

  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const { data } of tensors.values()) {
    const encoded = encodeFromFloat32(data, dtype);
    out.set(encoded, position);
    position += encoded.byteLength;
  }
  return out;
}

/** Writes atomically: a temporary file beside `file`, then a rename, so readers never see half a file. */
export async function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, TensorData>,
  metadata?: Record<string, string>,
  dtype: SupportedDtype = 'F32',
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = serializeSafetensors(tensors, metadata, dtype);
  } catch (error) {
    if (error instanceof CheckpointError) throw new CheckpointError(error.code, file, error.detail, error.tensor);
    throw error;
  }
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (cause) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new CheckpointError('CHECKPOINT_IO', file, `cannot write file: ${(cause as Error).message}`, undefined, { cause });
  }
}

function checkTensor(name: string, tensor: TensorData): void {
  const badDim = tensor.shape.find((dim) => !Number.isSafeInteger(dim) || dim < 0);
  if (badDim !== undefined) {
    throw new CheckpointError('CHECKPOINT_ENTRY_INVALID', '<memory>', `shape [${tensor.shape.join(', ')}] has a dimension that is not a non-negative integer`, name);
  }
  if (elementCount(tensor.shape) !== tensor.data.length) {
    throw new CheckpointError(
      'CHECKPOINT_SIZE_MISMATCH',
      '<memory>',
      `shape [${tensor.shape.join(', ')}] has ${elementCount(tensor.shape)} elements but data has ${tensor.data.length}`,
      name,
    );
  }
}
