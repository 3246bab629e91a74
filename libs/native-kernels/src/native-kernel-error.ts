import { TunefleetError } from '@tunefleet/core';

/** Stable codes for native-kernel failures; callers branch on `code`, people read `message`. */
export type NativeKernelErrorCode = 'NATIVE_UNAVAILABLE' | 'NATIVE_BAD_ARGUMENT' | 'NATIVE_SHAPE_MISMATCH' | 'SHARED_MEMORY_REFUSED';

export class NativeKernelError extends TunefleetError<NativeKernelErrorCode> {
  override readonly name = 'NativeKernelError';
}
