import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { bf16Support, roundToBf16, setMatMulPrecision, tryRegisterNativeBackend, type MatMulMode } from './index.ts';
import { emulatedDetail } from './matmul-precision.ts';
import { randomValues, sizeOf } from './test-support.ts';

// Two threads so every split of the bf16 products runs (by batch, by rows, by column panels).
const registration = await tryRegisterNativeBackend({ threads: 2 });
const skipReason = registration.ok ? '' : ` [SKIPPED: ${registration.reason}]`;
const support = registration.ok ? bf16Support() : undefined;
const hasOneDnnBf16 = support !== undefined && support.dnnl && support.cpuBf16;

/** op(x) of a row-major [rows, cols] (or [cols, rows] when transposed) matrix, element (r, c). */
const at = (x: Float32Array, offset: number, rows: number, cols: number, transposed: boolean, r: number, c: number) =>
  x[offset + (transposed ? c * rows + r : r * cols + c)];

/** The exact (float64) batched product of a and b as given, with tfjs's transposes; b broadcast over a's batch when it has one matrix. */
function referenceProduct(a: Float32Array, b: Float32Array, batch: number, m: number, n: number, k: number, ta: boolean, tb: boolean, bMatrices: number) {
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const bOffset = (bMatrices === 1 ? 0 : i) * k * n;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += at(a, i * m * k, m, k, ta, r, j) * at(b, bOffset, k, n, tb, j, c);
        out[(i * m + r) * n + c] = sum;
      }
  }
  return out;
}

/** max |actual - expected| / max |expected|: error relative to the output's scale. */
function scaledError(actual: Float32Array, expected: ArrayLike<number>): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < actual.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return error / scale;
}

// [batch, m, n, k, transposeA, transposeB, b's matrices]: every split of the oneDNN path at 2 threads.
const SHAPES: [number, number, number, number, boolean, boolean, number][] = [
  [1, 96, 80, 40, false, false, 1], // one matrix split by output rows
  [1, 96, 80, 40, false, true, 1],
  [1, 72, 130, 40, true, false, 1], // transposed a: split by output columns, b as dense panels
  [1, 72, 130, 40, true, true, 1], // transposed a and b: column blocks of b are dense rows
  [3, 20, 24, 16, false, true, 3], // a batch: whole matrices per thread
  [4, 8, 12, 5, true, false, 1], // a batch against one broadcast b
  [1, 3, 5, 7, false, false, 1], // too small to split
];

describe('emulated bf16 says why at start', () => {
  it('names a build without oneDNN and how to get it', () => {
    const detail = emulatedDetail({ dnnl: false, cpuBf16: true, detail: 'built without oneDNN (libdnnl-dev was not installed when the addon was built)' }, false);
    expect(detail).toBe(
      'bf16 EMULATED (built without oneDNN (libdnnl-dev was not installed when the addon was built); install libdnnl-dev and rebuild with ' +
        '`node libs/native-kernels/build.mjs`): inputs rounded to bf16, float32 products on OpenBLAS; same numerics, no speed-up',
    );
  });

  it('names a CPU without AVX512-BF16', () => {
    expect(emulatedDetail({ dnnl: true, cpuBf16: false, detail: 'oneDNN 2.6.3' }, false)).toMatch(/^bf16 EMULATED \(this CPU has no AVX512-BF16 instructions\)/);
  });
});

describe.skipIf(!registration.ok)(`bf16 matrix products${skipReason}`, () => {
  afterEach(() => {
    setMatMulPrecision('fp32');
  });

  it('rounds to the nearest bf16, ties to even, keeping NaN and infinities', () => {
    const x = Float32Array.of(1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -2.5, 3.140625, 65504, Infinity, -Infinity, NaN, 1e-40);
    const y = roundToBf16(x);
    expect(Array.from(y.slice(0, 9))).toEqual([1, 1, 1 + 2 ** -6, 1 + 2 ** -7, -2.5, 3.140625, 65536, Infinity, -Infinity]);
    expect(Number.isNaN(y[9])).toBe(true);
    expect(Math.abs(y[10] - 1e-40)).toBeLessThanOrEqual(2 ** -134); // subnormals: within half a bf16 step (2^-133)
  });

  it('has oneDNN when TUNEFLEET_REQUIRE_NATIVE=1 (CI installs libdnnl-dev, so the real bf16 path is tested)', () => {
    if (process.env.TUNEFLEET_REQUIRE_NATIVE !== '1') return;
    expect(support, 'the addon must be built against oneDNN in CI').toMatchObject({ dnnl: true });
  });

  it('says what runs the products, and names the kernel oneDNN picked', () => {
    expect(setMatMulPrecision('fp32')).toEqual({ mode: 'fp32', detail: 'float32 products (OpenBLAS)' });
    const state = setMatMulPrecision('bf16');
    expect(state.mode).toBe(hasOneDnnBf16 ? 'bf16' : 'bf16-emulated');
    if (hasOneDnnBf16) expect(state.detail).toMatch(/oneDNN \d+\.\d+.*(brg|gemm|jit)/);
    else expect(state.detail).toContain('EMULATED');
    expect(setMatMulPrecision('bf16', { emulate: true })).toMatchObject({ mode: 'bf16-emulated', detail: expect.stringContaining('emulation was asked for') });
  });

  const modes: { mode: MatMulMode; emulate: boolean }[] = [{ mode: 'bf16-emulated', emulate: true }];
  if (hasOneDnnBf16) modes.unshift({ mode: 'bf16', emulate: false });
  for (const { mode, emulate } of modes) {
    for (const [batch, m, n, k, ta, tb, bMatrices] of SHAPES) {
      it(`${mode}: [${batch}] ${m}x${k} @ ${k}x${n} (transposeA ${ta}, transposeB ${tb}) is the product of the bf16-rounded inputs`, async () => {
        await tf.setBackend('native');
        const aShape = batch === 1 ? (ta ? [k, m] : [m, k]) : ta ? [batch, k, m] : [batch, m, k];
        const bCore = tb ? [n, k] : [k, n];
        const bShape = bMatrices === 1 ? bCore : [batch, ...bCore];
        const a = randomValues(sizeOf(aShape), 11 + m);
        const b = randomValues(sizeOf(bShape), 23 + n);
        const run = () => tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb).dataSync() as Float32Array);
        const fp32 = run();
        expect(setMatMulPrecision('bf16', { emulate }).mode).toBe(mode);
        const bf16 = run();
        // Against the exact product of the rounded inputs: only float32 accumulation error is left
        // (k <= 40 terms of size <= 1: well under 1e-5 of the output's scale).
        expect(scaledError(bf16, referenceProduct(roundToBf16(a), roundToBf16(b), batch, m, n, k, ta, tb, bMatrices))).toBeLessThan(1e-5);
        // Against float32: each input carries a relative rounding error of at most 2^-9, so a
        // product term at most ~2^-8; over random signs the sum's error stays far below 1e-2 of scale.
        const error = scaledError(bf16, fp32);
        expect(error).toBeLessThan(1e-2);
        expect(error).toBeGreaterThan(0); // the products really were rounded
      });
    }

    it(`${mode}: fuses the bias and activation as float32 does`, async () => {
      await tf.setBackend('native');
      const x = randomValues(70 * 33, 5);
      const w = randomValues(33 * 66, 6);
      const bias = randomValues(66, 7);
      const run = () =>
        tf.tidy(() => tf.fused.matMul({ a: tf.tensor(x, [70, 33]), b: tf.tensor(w, [33, 66]), bias: tf.tensor(bias, [66]), activation: 'relu' }).dataSync() as Float32Array);
      setMatMulPrecision('bf16', { emulate });
      const bf16 = run();
      setMatMulPrecision('fp32');
      const xr = roundToBf16(x);
      const wr = roundToBf16(w);
      const expected = Float64Array.from(referenceProduct(xr, wr, 1, 70, 66, 33, false, false, 1), (v, i) => Math.max(0, v + bias[i % 66]));
      expect(scaledError(bf16, expected)).toBeLessThan(1e-5);
      expect(bf16.some((v) => v === 0)).toBe(true);
    });
  }
});
