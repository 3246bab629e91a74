import * as tf from '@tensorflow/tfjs-core';
import { nativeUnavailableReason } from '@tunefleet/native-kernels';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from './backend-error.ts';
import { backendStarters, initBackend, type BackendChoice } from './init-backend.ts';

const original = { ...backendStarters };
afterEach(() => Object.assign(backendStarters, original));

describe('initBackend', () => {
  it('auto skips tensorflow (not installed) and lands on the next backend that starts', async () => {
    const lines: string[] = [];
    const info = await initBackend({ backend: 'auto', log: (line) => lines.push(line) });
    expect(tf.getBackend()).toBe(info.name);
    expect(lines[0]).toMatch(/^backend: tensorflow unavailable \(@tensorflow\/tfjs-node-gpu not loadable.*@tensorflow\/tfjs-node not loadable/);
    // native when its addon is built on this machine, else wasm (after a logged native failure)
    if (info.name === 'native') expect(lines[1]).toMatch(/^backend: native \(/);
    else expect(lines.slice(1)).toEqual([expect.stringMatching(/^backend: native unavailable/), expect.stringMatching(/^backend: wasm \(simd (on|off).*extra kernels: UnsortedSegmentSum, GatherV2\)$/)]);
    expect(['native', 'wasm']).toContain(info.name);
  });

  it('auto falls back to wasm when tensorflow and native cannot start', async () => {
    backendStarters.native = async () => ({ ok: false, reason: 'addon not built (simulated)' });
    const lines: string[] = [];
    const info = await initBackend({ backend: 'auto', log: (line) => lines.push(line) });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(lines[1]).toBe('backend: native unavailable (addon not built (simulated))');
    expect(lines[2]).toMatch(/^backend: wasm \(simd (on|off).*extra kernels: UnsortedSegmentSum, GatherV2\)$/);
  });

  it('auto tries tensorflow, native, wasm, cpu in that order', async () => {
    const tried: string[] = [];
    for (const name of ['tensorflow', 'native', 'wasm'] as const) {
      backendStarters[name] = async () => {
        tried.push(name);
        return { ok: false, reason: `${name} off for this test` };
      };
    }
    const info = await initBackend({ backend: 'auto' });
    expect(tried).toEqual(['tensorflow', 'native', 'wasm']);
    expect(info.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('an explicitly requested backend that cannot start is a BackendError naming why', async () => {
    const error = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as BackendError).message).toMatch(/"tensorflow" was requested.*@tensorflow\/tfjs-node/);
    backendStarters.native = async () => ({ ok: false, reason: 'addon not built (simulated)' });
    await expect(initBackend({ backend: 'native' })).rejects.toThrow(/"native" was requested but could not start: addon not built \(simulated\)/);
  });

  it('an unknown backend name is a BackendError listing the valid ones', async () => {
    const error = await initBackend({ backend: 'webgpu' as BackendChoice }).catch((e: unknown) => e);
    expect((error as BackendError).code).toBe('BACKEND_UNKNOWN');
    expect((error as BackendError).message).toContain('auto, tensorflow, native, wasm, cpu');
  });

  it('a starter that reports success but leaves another backend active is rejected', async () => {
    await initBackend({ backend: 'cpu' });
    backendStarters.wasm = async () => ({ ok: true, detail: 'pretends' }); // tf silently stays on cpu
    await expect(initBackend({ backend: 'wasm' })).rejects.toThrow(/left "cpu" active/);
  });

  it.skipIf(nativeUnavailableReason() !== undefined)('passes poolMb to the native backend (a bad one is named)', async () => {
    await expect(initBackend({ backend: 'native', threads: 1, poolMb: -1 })).rejects.toThrow(
      /"native" was requested but could not start: poolMb -1: the native output pool size must be a number of megabytes >= 0/,
    );
    expect((await initBackend({ backend: 'native', threads: 1, poolMb: 16 })).name).toBe('native');
  });

  it('explicit cpu and wasm start and are active afterwards', async () => {
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend({ backend: 'wasm' })).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
