import * as tf from '@tensorflow/tfjs-core';
import { gatherKernel } from './kernels/gather.ts';
import { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum.ts';

/**
 * Extra kernels per backend, installed when that backend starts. Native kernels (or any later
 * optimisation) plug in through `registerExtraKernel` without touching model code.
 * A kernel already registered for that backend is replaced: the extra one is there to win.
 */
const extraKernels = new Map<string, tf.KernelConfig[]>();

export function registerExtraKernel(config: tf.KernelConfig): void {
  const list = extraKernels.get(config.backendName) ?? [];
  extraKernels.set(config.backendName, [...list.filter((k) => k.kernelName !== config.kernelName), config]);
  if (isBackendRegistered(config.backendName)) install(config);
}

/** Installs the built-in and registered extra kernels for `backendName` into tfjs's registry. */
export function installExtraKernels(backendName: string): string[] {
  const registered = extraKernels.get(backendName) ?? [];
  const names = new Set(registered.map((k) => k.kernelName));
  const list = [...builtinKernels(backendName).filter((k) => !names.has(k.kernelName)), ...registered];
  list.forEach(install);
  return list.map((k) => k.kernelName);
}

/**
 * wasm lacks UnsortedSegmentSum (gather's gradient) and cpu's loops once per vocabulary row;
 * wasm's GatherV2 is ~10x slower than row copies on embedding tables.
 */
function builtinKernels(backendName: string): tf.KernelConfig[] {
  if (backendName === 'cpu') return [unsortedSegmentSumKernel('cpu')];
  if (backendName !== 'wasm') return [];
  const gather = originalKernel('GatherV2', 'wasm');
  return [unsortedSegmentSumKernel('wasm'), ...(gather === undefined ? [] : [gatherKernel(gather)])];
}

/** The backend's own kernel, remembered before an extra one replaces it (the extras' fallback). */
const originals = new Map<string, tf.KernelConfig | undefined>();

function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | undefined {
  const key = `${backendName}/${kernelName}`;
  if (!originals.has(key)) originals.set(key, tf.getKernel(kernelName, backendName));
  return originals.get(key);
}

function install(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

function isBackendRegistered(name: string): boolean {
  return tf.findBackendFactory(name) != null;
}
