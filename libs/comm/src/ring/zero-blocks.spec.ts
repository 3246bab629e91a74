import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkRejectedError } from '../comm-error.ts';
import { applyZeroBlocks, encodeZeroBlocks, scanNonzeroBlocks, ZERO_BLOCK_FLOATS } from './zero-blocks.ts';

/** Values with runs of exact +0 (whole blocks and partial ones), -0, NaN and ordinary numbers. */
const sparseVector = fc
  .tuple(fc.integer({ min: 0, max: 2000 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(1.5, -2, -0, Number.NaN, 1e-30)), { maxLength: 40 }))
  .map(([length, sets]) => {
    const values = new Float32Array(length);
    for (const [at, value] of sets) if (length > 0) values[at % length] = value;
    return values;
  });

const bits = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Another scan (word by word, no early exit), as an injected native one would be. */
function plainScan(values: Float32Array, blockFloats: number, mask: Uint8Array): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  mask.fill(0);
  let count = 0;
  for (let b = 0; b * blockFloats < values.length; b++) {
    let any = 0;
    for (let i = b * blockFloats; i < Math.min(values.length, (b + 1) * blockFloats); i++) any |= words[i]!;
    if (any !== 0) {
      mask[b >> 3]! |= 1 << (b & 7);
      count++;
    }
  }
  return count;
}

describe('zero-block encoding', () => {
  it('round-trips bit for bit: copy gives the values, add gives target + values, for any length and pattern', () => {
    fc.assert(
      fc.property(sparseVector, fc.integer({ min: 1, max: 70 }), (values, blockFloats) => {
        const encoded = encodeZeroBlocks(values, blockFloats);
        expect(encodeZeroBlocks(values, blockFloats, plainScan)).toEqual(encoded); // an injected scan gives the same bytes
        if (encoded === undefined) return; // not worth it: sent dense
        expect(encoded.length).toBeLessThanOrEqual(values.length * 4 * 0.5);
        const copied = new Float32Array(values.length).fill(9);
        applyZeroBlocks(encoded, copied, false);
        expect(bits(copied).equals(bits(values))).toBe(true);
        const target = Float32Array.from({ length: values.length }, (_, i) => (i % 5) - 2);
        const expected = Float32Array.from(target, (t, i) => t + values[i]!);
        applyZeroBlocks(encoded, target, true);
        expect(bits(target).equals(bits(expected))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is used only when it halves the bytes: dense data goes out as it is', () => {
    const dense = Float32Array.from({ length: 4096 }, (_, i) => i + 1);
    expect(encodeZeroBlocks(dense)).toBeUndefined();
    const embedding = new Float32Array(262_144); // one 1 MiB chunk, 3 touched rows of 256
    for (const row of [2, 77, 1000]) embedding.fill(0.25, row * 256, row * 256 + 256);
    const encoded = encodeZeroBlocks(embedding)!;
    expect(encoded.length).toBe(8 + 512 + 3 * 256 * 4); // head, mask (4096 blocks), 12 blocks of 64 floats
    expect(ZERO_BLOCK_FLOATS).toBe(64);
    const mask = new Uint8Array(512);
    expect(scanNonzeroBlocks(embedding, 64, mask)).toBe(12);
  });

  it('refuses a payload that does not describe the chunk, saying what is wrong', () => {
    const values = new Float32Array(1024);
    values[100] = 1;
    const encoded = encodeZeroBlocks(values)!;
    const target = new Float32Array(1024);
    expect(() => applyZeroBlocks(encoded.subarray(0, encoded.length - 4), target, true)).toThrow(ChunkRejectedError);
    expect(() => applyZeroBlocks(encoded.subarray(0, 4), target, true)).toThrow(/too short/);
    const lying = Buffer.from(encoded);
    lying.writeUInt32LE(5, 4); // claims five blocks
    expect(() => applyZeroBlocks(lying, target, true)).toThrow(/mask marks 1 blocks, header says 5/);
    expect(() => applyZeroBlocks(encoded, new Float32Array(4096), true)).toThrow(/cannot hold the mask|needs/);
  });
});
