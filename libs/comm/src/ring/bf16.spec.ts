import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBf16IntoF32, bf16ToF32, f32ToBf16, roundToBf16InPlace } from './bf16.ts';

function roundTrip(values: number[]): Float32Array {
  const src = Float32Array.from(values);
  const wire = new Uint16Array(src.length);
  f32ToBf16(src, wire);
  const back = new Float32Array(src.length);
  bf16ToF32(wire, back);
  return back;
}

describe('bf16', () => {
  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1).
    // 1 + 3*2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to 1 + 2^-6.
    expect(Array.from(roundTrip([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20]))).toEqual([1, 1 + 2 ** -6, 1 + 2 ** -7]);
  });

  it('keeps zeros, infinities and NaN, and overflows to infinity', () => {
    const back = roundTrip([0, -0, Infinity, -Infinity, NaN, 3.4e38]);
    expect(Object.is(back[1], -0)).toBe(true);
    expect(Array.from(back.subarray(2, 4))).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(back[4])).toBe(true);
    expect(back[5]).toBe(Infinity);
  });

  it('round trip error is at most 2^-8 relative for normal f32 values', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e38), max: Math.fround(1e38) }), (value) => {
        const f = Math.fround(value);
        fc.pre(Math.abs(f) >= 2 ** -126);
        const back = roundTrip([f])[0]!;
        expect(Math.abs(back - f)).toBeLessThanOrEqual(Math.abs(f) * 2 ** -8);
      }),
      { numRuns: 2000 },
    );
  });

  it('rounding in place matches encode + decode, and add-into matches decode + add', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noDefaultInfinity: true }), { maxLength: 50 }), (values) => {
        const inPlace = Float32Array.from(values);
        roundToBf16InPlace(inPlace);
        expect(Buffer.from(inPlace.buffer)).toEqual(Buffer.from(roundTrip(values).buffer));
        const wire = new Uint16Array(values.length);
        f32ToBf16(Float32Array.from(values), wire);
        const sum = new Float32Array(values.length).fill(0.5);
        addBf16IntoF32(wire, sum);
        const expected = roundTrip(values).map((v) => v + 0.5);
        expect(Buffer.from(sum.buffer)).toEqual(Buffer.from(expected.buffer));
      }),
    );
  });
});
