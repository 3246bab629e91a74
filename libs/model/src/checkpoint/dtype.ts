/** Element types tunefleet reads; everything is converted to Float32Array in memory. */
export const SUPPORTED_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type SupportedDtype = (typeof SUPPORTED_DTYPES)[number];

export const DTYPE_BYTES: Readonly<Record<SupportedDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export function isSupportedDtype(dtype: string): dtype is SupportedDtype {
  return (SUPPORTED_DTYPES as readonly string[]).includes(dtype);
}

export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes little-endian `bytes` of `dtype` into a fresh Float32Array (never a view of `bytes`). */
export function decodeToFloat32(bytes: Uint8Array, dtype: SupportedDtype): Float32Array {
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  // Copy into a new, aligned ArrayBuffer so typed-array views below are always legal. Not
  // bytes.slice(): on a Node Buffer that is a view into the (pooled, shared) parent buffer.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  if (dtype === 'F32') {
    if (IS_LITTLE_ENDIAN) return new Float32Array(copy.buffer, 0, count);
    const view = new DataView(copy.buffer);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  }
  const halves = readUint16LE(copy, count);
  const out = new Float32Array(count);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = float16ToNumber(halves[i]!);
  return out;
}

function readUint16LE(bytes: Uint8Array, count: number): Uint16Array {
  if (IS_LITTLE_ENDIAN) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return Uint16Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
}

/** IEEE 754 binary16 -> number, including subnormals, infinities and NaN. */
export function float16ToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
