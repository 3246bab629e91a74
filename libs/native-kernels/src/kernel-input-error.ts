import { TunefleetError } from '@tunefleet/core';

/**
 * Stable codes for a kernel input that no backend can compute (the checks that the native, wasm
 * and cpu versions of one kernel share, in kernels/gather-plan.ts).
 */
export type KernelInputErrorCode = 'KERNEL_INDEX_OUT_OF_RANGE';

export class KernelInputError extends TunefleetError<KernelInputErrorCode> {
  override readonly name = 'KernelInputError';
}
