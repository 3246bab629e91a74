import { mixSeed, mulberry32 } from '@tunefleet/core';
import { DataError } from './data-error.ts';

/**
 * The order of `n` examples in one epoch: a Fisher-Yates shuffle driven by (seed, epoch). The same
 * pair always gives the same order, on every rank and every run; another epoch gives another order.
 */
export function permutation(n: number, seed: number, epoch: number): Int32Array {
  for (const [name, value] of [['n', n], ['seed', seed], ['epoch', epoch]] as const) {
    if (!Number.isSafeInteger(value) || (name !== 'seed' && value < 0)) {
      throw new DataError('DATA_BAD_ARGUMENT', `permutation: ${name} must be a non-negative integer, got ${value}.`);
    }
  }
  const seedHigh = Math.floor(seed / 4294967296);
  const random = mulberry32(mixSeed(seed, seedHigh, epoch));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}
