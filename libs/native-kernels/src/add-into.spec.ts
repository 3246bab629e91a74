import { describe, expect, it } from 'vitest';
import { nativeAddInto, nativeUnavailableReason } from './index.ts';

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
