import { TunefleetError } from '@tunefleet/core';

/** Stable codes for backend start-up failures; callers branch on `code`, people read `message`. */
export type BackendErrorCode =
  | 'BACKEND_UNKNOWN'
  | 'BACKEND_UNAVAILABLE'
  | 'BACKEND_FALLBACK'
  | 'BACKEND_NONE'
  | 'BACKEND_PRECISION_UNSUPPORTED';

export class BackendError extends TunefleetError<BackendErrorCode> {
  override readonly name = 'BackendError';
}
