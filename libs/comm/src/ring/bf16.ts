/**
 * bfloat16 = the top 16 bits of an IEEE f32 (8-bit exponent, 7-bit mantissa): same range as f32,
 * ~3 significant digits. Conversion rounds to nearest, ties to even; NaN stays NaN (quiet).
 * Relative error of one conversion is at most 2^-8 for normal numbers.
 */

/** Writes bf16(src[i]) to dst[i]; `dst.length` must be at least `src.length`. */
export function f32ToBf16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) {
      dst[i] = (b >>> 16) | 0x0040; // NaN: keep sign and top payload, force quiet bit
    } else {
      dst[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
}

/** dst[i] = f32(src[i]) (exact). */
export function bf16ToF32(src: Uint16Array, dst: Float32Array): void {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
}

/** dst[i] += f32(src[i]). */
export function addBf16IntoF32(src: Uint16Array, dst: Float32Array): void {
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let i = 0; i < src.length; i++) {
    scratchBits[0] = src[i]! << 16;
    dst[i]! += scratch[0]!;
  }
}

/** Rounds every value of `values` to the nearest bf16, in place. */
export function roundToBf16InPlace(values: Float32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!;
    bits[i] = (b & 0x7fffffff) > 0x7f800000 ? (b & 0xffff0000) | 0x00400000 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16;
  }
}
