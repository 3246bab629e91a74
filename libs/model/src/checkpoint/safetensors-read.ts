import { readFile } from 'node:fs/promises';
import { CheckpointError } from './checkpoint-error.ts';
import { DTYPE_BYTES, SUPPORTED_DTYPES, decodeToFloat32, isSupportedDtype, type SupportedDtype } from './dtype.ts';
import { elementCount, type SafetensorsContents, type TensorData } from './tensor-data.ts';

/**
 * Safetensors layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } }`,
 * then the data section; offsets are relative to the start of the data section.
 */
const LENGTH_PREFIX_BYTES = 8;
const METADATA_KEY = '__metadata__';

interface Entry {
  name: string;
  dtype: SupportedDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads and fully validates a safetensors file. Every failure is a CheckpointError naming `file`. */
export async function readSafetensors(file: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_IO', file, `cannot read file: ${(cause as Error).message}`, undefined, { cause });
  }
  return parseSafetensors(bytes, file);
}

/** Parses safetensors `bytes`; `file` only names the source in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsContents {
  const { header, dataStart } = parseHeader(bytes, file);
  const dataBytes = bytes.byteLength - dataStart;
  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, file);
    else entries.push(parseEntry(name, value, dataBytes, file));
  }
  checkNoOverlap(entries, file);
  const tensors = new Map<string, TensorData>();
  for (const entry of entries) {
    const raw = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    tensors.set(entry.name, { shape: entry.shape, data: decodeToFloat32(raw, entry.dtype) });
  }
  return { tensors, metadata };
}

function parseHeader(bytes: Uint8Array, file: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.byteLength < LENGTH_PREFIX_BYTES) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      file,
      `file is ${bytes.byteLength} bytes, shorter than the 8-byte header length prefix; it is not a safetensors file or was truncated`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  const available = bytes.byteLength - LENGTH_PREFIX_BYTES;
  if (headerLength > BigInt(available)) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      file,
      `header length prefix says ${headerLength} bytes but only ${available} bytes follow it; the file is truncated or not safetensors`,
    );
  }
  const dataStart = LENGTH_PREFIX_BYTES + Number(headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart));
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_HEADER_INVALID', file, 'header is not valid UTF-8', undefined, { cause });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_HEADER_INVALID', file, `header is not valid JSON (${(cause as Error).message})`, undefined, {
      cause,
    });
  }
  if (!isPlainObject(header)) {
    throw new CheckpointError('CHECKPOINT_HEADER_INVALID', file, `header must be a JSON object, got ${describe(header)}`);
  }
  return { header, dataStart };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) {
    throw new CheckpointError('CHECKPOINT_METADATA_INVALID', file, `"${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new CheckpointError('CHECKPOINT_METADATA_INVALID', file, `"${METADATA_KEY}.${key}" must be a string, got ${describe(item)}`);
    }
    metadata[key] = item;
  }
  return metadata;
}

function parseEntry(name: string, value: unknown, dataBytes: number, file: string): Entry {
  const fail = (code: 'CHECKPOINT_ENTRY_INVALID', message: string): never => {
    throw new CheckpointError(code, file, message, name);
  };
  if (!isPlainObject(value)) return fail('CHECKPOINT_ENTRY_INVALID', `entry must be an object, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return fail('CHECKPOINT_ENTRY_INVALID', `"dtype" must be a string, got ${describe(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInt)) {
    return fail('CHECKPOINT_ENTRY_INVALID', `"shape" must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt) || offsets[0] > offsets[1]) {
    return fail('CHECKPOINT_ENTRY_INVALID', `"data_offsets" must be [begin, end] integers with 0 <= begin <= end, got ${describe(offsets)}`);
  }
  if (!isSupportedDtype(dtype)) {
    throw new CheckpointError(
      'CHECKPOINT_DTYPE_UNSUPPORTED',
      file,
      `dtype ${dtype} is not supported; supported dtypes are ${SUPPORTED_DTYPES.join(', ')} (convert the checkpoint to one of them)`,
      name,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expectedBytes = elementCount(shape) * DTYPE_BYTES[dtype];
  if (end - begin !== expectedBytes) {
    throw new CheckpointError(
      'CHECKPOINT_SIZE_MISMATCH',
      file,
      `shape [${shape.join(', ')}] of ${dtype} needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      name,
    );
  }
  if (end > dataBytes) {
    throw new CheckpointError(
      'CHECKPOINT_OFFSETS_OUT_OF_RANGE',
      file,
      `data_offsets [${begin}, ${end}] run past the end of the ${dataBytes}-byte data section; the file is truncated`,
      name,
    );
  }
  return { name, dtype, shape: [...shape] as number[], begin, end };
}

function checkNoOverlap(entries: readonly Entry[], file: string): void {
  const sorted = entries.filter((entry) => entry.end > entry.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.begin < previous.end) {
      throw new CheckpointError(
        'CHECKPOINT_OFFSETS_OVERLAP',
        file,
        `data_offsets [${current.begin}, ${current.end}] overlap those of tensor "${previous.name}" [${previous.begin}, ${previous.end}]`,
        current.name,
      );
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
