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

const F32_SCRATCH = new Float32Array(1);
const F32_SCRATCH_BITS = new Uint32Array(F32_SCRATCH.buffer);

/**
 * float32 bits -> bfloat16 bits, rounded to nearest even (what torch's `.to(torch.bfloat16)` does);
 * NaN stays a quiet NaN of the same sign.
 */
export function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

/** number -> IEEE 754 binary16 bits, rounded to nearest even; overflow -> infinity, underflow -> (signed) zero or subnormal. */
export function numberToFloat16(value: number): number {
  F32_SCRATCH[0] = value;
  const bits = F32_SCRATCH_BITS[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): count units of 2^-24 from the 24-bit significand.
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let half = mantissa >>> shift;
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++;
    return sign | half; // a carry into 0x400 is the smallest normal, which is right
  }
  const remainder = mantissa & 0x1fff;
  let half = sign | (halfExponent << 10) | (mantissa >>> 13);
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half++; // a carry may reach infinity, which is right
  return half;
}

/** `data` as little-endian bytes of `dtype` (F32 as is; BF16 and F16 rounded to nearest even). */
export function encodeFromFloat32(data: Float32Array, dtype: SupportedDtype): Uint8Array {
  if (dtype === 'F32') {
    if (IS_LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
    return out;
  }
  const halves = new Uint16Array(data.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    for (let i = 0; i < bits.length; i++) halves[i] = float32BitsToBfloat16(bits[i]!);
  } else {
    for (let i = 0; i < data.length; i++) halves[i] = numberToFloat16(data[i]!);
  }
  if (IS_LITTLE_ENDIAN) return new Uint8Array(halves.buffer);
  const out = new Uint8Array(halves.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < halves.length; i++) view.setUint16(i * 2, halves[i]!, true);
  return out;
}
