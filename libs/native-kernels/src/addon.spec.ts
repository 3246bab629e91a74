import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { ADDON_FUNCTION_NAMES, addonPath, checkAddonExports, loadAddon } from './addon.ts';
import { nativeBackendInfo, tryRegisterNativeBackend } from './index.ts';

const loaded = loadAddon();
const registration = await tryRegisterNativeBackend({ threads: 1 });
const skipReason = loaded.ok ? '' : ` [SKIPPED: ${loaded.reason}]`;

/** A stand-in for a built addon's exports: every function src/addon.ts declares, and op codes. */
function fakeExports(): Record<string, unknown> {
  const exports: Record<string, unknown> = Object.fromEntries(ADDON_FUNCTION_NAMES.map((name) => [name, () => undefined]));
  exports.opCodes = { unary: { Neg: 0, Exp: 1 }, binary: { Add: 0 }, activation: { linear: 0 } };
  return exports;
}

describe('checkAddonExports', () => {
  it('accepts exactly the declared bindings with well-formed op codes', () => {
    expect(ADDON_FUNCTION_NAMES).toContain('matMul');
    expect(checkAddonExports(fakeExports(), 'fake.node')).toMatchObject({ ok: true });
  });

  it.skipIf(!loaded.ok)(`accepts the built addon${skipReason}`, () => {
    const raw = createRequire(import.meta.url)(addonPath) as Record<string, unknown>;
    expect(checkAddonExports(raw, addonPath)).toMatchObject({ ok: true });
  });

  it('names every missing binding and says how to rebuild', () => {
    const exports = fakeExports();
    delete exports.gather;
    delete exports.attentionQkvGrad;
    const result = checkAddonExports(exports, '/x/tunefleet_native.node');
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('/x/tunefleet_native.node does not match src/addon.ts') });
    if (result.ok) return;
    expect(result.reason).toContain('lacks the bindings gather, attentionQkvGrad');
    expect(result.reason).toContain('node libs/native-kernels/build.mjs');
  });

  it('refuses a binding that is not a function, and names one src/addon.ts does not declare', () => {
    const exports = { ...fakeExports(), matMul: 42, fancyKernel: () => undefined };
    const result = checkAddonExports(exports, 'a.node');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('lacks the binding matMul;');
    expect(result.reason).toContain('exports fancyKernel, which src/addon.ts does not declare');
  });

  it('refuses op-code tables that are missing, empty, or not the codes 0..n-1', () => {
    for (const opCodes of [
      undefined,
      { unary: { Neg: 0 }, binary: { Add: 0 } },
      { unary: {}, binary: { Add: 0 }, activation: { linear: 0 } },
      { unary: { Neg: 0, Exp: 0 }, binary: { Add: 0 }, activation: { linear: 0 } },
      { unary: { Neg: 0, Exp: 2 }, binary: { Add: 0 }, activation: { linear: 0 } },
      { unary: { Neg: '0' }, binary: { Add: 0 }, activation: { linear: 0 } },
    ]) {
      const result = checkAddonExports({ ...fakeExports(), opCodes }, 'a.node');
      expect(result, JSON.stringify(opCodes)).toMatchObject({ ok: false, reason: expect.stringMatching(/has no well-formed opCodes\./) });
    }
  });
});

describe.skipIf(!registration.ok)(`op codes: one definition in C++, read by the TS kernels${skipReason}`, () => {
  it('every unary and binary op code the addon exports is a native kernel with a cpu fallback', () => {
    if (!loaded.ok) throw new Error(loaded.reason);
    const { unary, binary, activation } = loaded.addon.opCodes;
    const kernels = nativeBackendInfo()?.kernels ?? [];
    for (const name of [...Object.keys(unary), ...Object.keys(binary)]) {
      expect(kernels, name).toContain(name);
      expect(tf.getKernel(name, 'cpu'), `${name} has no cpu kernel to fall back to`).toBeDefined();
      expect(tf.getKernel(name, 'native')?.backendName).toBe('native');
    }
    expect(Object.keys(binary).sort()).toEqual(['Add', 'Multiply', 'RealDiv', 'Sub']);
    // tfjs's _FusedMatMul activations, less prelu (composed from the product and the Prelu kernel).
    expect(Object.keys(activation).sort()).toEqual(['elu', 'leakyrelu', 'linear', 'relu', 'relu6', 'sigmoid']);
  });
});
