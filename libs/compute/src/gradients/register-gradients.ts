import * as tf from '@tensorflow/tfjs-core';
import { elementwiseGradients } from './elementwise-gradients.ts';
import { structuralGradients } from './structural-gradients.ts';

/** Every gradient tunefleet provides, by kernel name: what BERT training needs, plus a few common ones. */
export const GRADIENT_KERNELS: readonly string[] = [...elementwiseGradients, ...structuralGradients].map((g) => g.kernelName);

/**
 * Registers the gradients tfjs-core's Node build lacks. A gradient already registered (e.g. by
 * `@tensorflow/tfjs`) is kept. Returns the kernel names registered by this call. Idempotent.
 */
export function registerGradients(): string[] {
  const added: string[] = [];
  for (const config of [...elementwiseGradients, ...structuralGradients]) {
    if (tf.getGradient(config.kernelName) !== undefined) continue;
    tf.registerGradient(config);
    added.push(config.kernelName);
  }
  return added;
}
