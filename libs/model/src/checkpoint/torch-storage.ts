import { CheckpointError } from './checkpoint-error.ts';
import { decodeToFloat32 } from './dtype.ts';

/** torch's typed storage classes (`torch.FloatStorage`, ...) as a pickle names them, with their element size. */
export const TORCH_STORAGE_TYPES = {
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  DoubleStorage: 8,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
} as const;
export type TorchStorageType = keyof typeof TORCH_STORAGE_TYPES;

export function isTorchStorageType(name: string): name is TorchStorageType {
  return Object.hasOwn(TORCH_STORAGE_TYPES, name);
}

/** Integers up to 2^24 are exact in float32, the type every tensor has in memory. */
const FLOAT32_EXACT_INTEGER = 2 ** 24;

/**
 * Decodes a storage's little-endian bytes to float32 (tunefleet computes in float32; integer buffers
 * such as `position_ids` are exact below 2^24 and refused above it rather than silently rounded).
 */
export function decodeStorage(bytes: Uint8Array, type: TorchStorageType, file: string, tensor: string): Float32Array {
  if (type === 'FloatStorage') return decodeToFloat32(bytes, 'F32');
  if (type === 'HalfStorage') return decodeToFloat32(bytes, 'F16');
  if (type === 'BFloat16Storage') return decodeToFloat32(bytes, 'BF16');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / TORCH_STORAGE_TYPES[type];
  const out = new Float32Array(count);
  const read: (i: number) => number = {
    DoubleStorage: (i: number) => view.getFloat64(i * 8, true),
    LongStorage: (i: number) => exactInteger(view.getBigInt64(i * 8, true), file, tensor),
    IntStorage: (i: number) => view.getInt32(i * 4, true),
    ShortStorage: (i: number) => view.getInt16(i * 2, true),
    CharStorage: (i: number) => view.getInt8(i),
    ByteStorage: (i: number) => view.getUint8(i),
    BoolStorage: (i: number) => (view.getUint8(i) === 0 ? 0 : 1),
  }[type];
  for (let i = 0; i < count; i++) {
    const value = read(i);
    if (type === 'IntStorage' && Math.abs(value) > FLOAT32_EXACT_INTEGER) exactInteger(BigInt(value), file, tensor);
    out[i] = value;
  }
  return out;
}

function exactInteger(value: bigint, file: string, tensor: string): number {
  if (value > BigInt(FLOAT32_EXACT_INTEGER) || value < -BigInt(FLOAT32_EXACT_INTEGER)) {
    throw new CheckpointError(
      'CHECKPOINT_DTYPE_UNSUPPORTED',
      file,
      `integer value ${value} cannot be held exactly in float32 (|value| <= 2^24); tunefleet keeps every tensor in float32`,
      tensor,
    );
  }
  return Number(value);
}
