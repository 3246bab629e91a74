import * as tf from '@tensorflow/tfjs-core';
import { gatherKernel } from './kernels/gather.ts';
import { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum.ts';

/**
 * Installs tunefleet's JS kernels for `backendName` into tfjs's registry, replacing the backend's
 * own (they are there to win), and returns their names. The native backend registers its kernels
 * itself (libs/native-kernels' registerNativeBackend); tensorflow needs none.
 */
export function installExtraKernels(backendName: string): string[] {
  const list = builtinKernels(backendName);
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
