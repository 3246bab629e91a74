import { describe, expect, it } from 'vitest';
import { nativeAddInto, nativeNonzeroBlocks, nativeUnavailableReason } from './index.ts';

const addInto = nativeAddInto();
const skipReason = addInto ? '' : ` [SKIPPED: ${nativeUnavailableReason()}]`;

describe.skipIf(addInto === undefined)(`nativeAddInto${skipReason}`, () => {
  it('adds source into target for odd lengths and views at an offset, touching nothing else', () => {
    for (const length of [0, 1, 7, 1000, 65537, 300_001]) {
      const backing = new Float32Array(length + 6).map((_, i) => i * 0.5);
      const target = backing.subarray(3, 3 + length);
      const source = Float32Array.from({ length }, (_, i) => (i % 13) - 6.25);
      const expected = Float32Array.from(target, (t, i) => Math.fround(t + source[i]!));
      addInto!(target, source);
      expect(target).toEqual(expected);
      expect(Array.from(backing.subarray(0, 3))).toEqual([0, 0.5, 1]);
      expect(backing[length + 3]).toBe((length + 3) * 0.5);
    }
  });

  it('refuses different lengths and overlapping arrays with a RangeError naming the problem', () => {
    expect(() => addInto!(new Float32Array(4), new Float32Array(3))).toThrow(/target has 4 elements, source 3/);
    const shared = new Float32Array(10);
    expect(() => addInto!(shared.subarray(0, 6), shared.subarray(4, 10))).toThrow(/overlap/);
  });
});

const nonzeroBlocks = nativeNonzeroBlocks();

describe.skipIf(nonzeroBlocks === undefined)(`nativeNonzeroBlocks${skipReason}`, () => {
  /** The definition: a block counts when any of its words is not all-zero bits. */
  function reference(values: Float32Array, blockFloats: number): { count: number; mask: Uint8Array } {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const blocks = Math.ceil(values.length / blockFloats);
    const mask = new Uint8Array(Math.ceil(blocks / 8) + 3);
    let count = 0;
    for (let b = 0; b < blocks; b++) {
      if (words.subarray(b * blockFloats, Math.min(values.length, (b + 1) * blockFloats)).some((w) => w !== 0)) {
        mask[b >> 3]! |= 1 << (b & 7);
        count++;
      }
    }
    return { count, mask };
  }

  it('marks exactly the blocks holding a word other than +0 (-0 and NaN count), for odd lengths and block sizes', () => {
    for (const [length, blockFloats] of [[0, 64], [1, 64], [130, 64], [1000, 7], [262_144, 64], [100_003, 1]] as const) {
      const values = new Float32Array(length);
      for (let i = 0; i < length; i += 997) values[i] = i % 3 === 0 ? -0 : i % 3 === 1 ? Number.NaN : 0.5;
      const expected = reference(values, blockFloats);
      const mask = new Uint8Array(expected.mask.length).fill(255); // garbage: the scan clears it
      expect(nonzeroBlocks!(values, blockFloats, mask)).toBe(expected.count);
      expect(mask).toEqual(expected.mask);
    }
  });

  it('refuses a mask too small and a block size below 1', () => {
    expect(() => nonzeroBlocks!(new Float32Array(1000), 64, new Uint8Array(1))).toThrow(/mask of 1 bytes cannot hold 16 blocks/);
    expect(() => nonzeroBlocks!(new Float32Array(10), 0, new Uint8Array(4))).toThrow(/blockFloats must be >= 1/);
  });
});
