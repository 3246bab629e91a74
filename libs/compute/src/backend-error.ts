/** Stable codes for backend start-up failures; callers branch on `code`, people read `message`. */
export type BackendErrorCode = 'BACKEND_UNKNOWN' | 'BACKEND_UNAVAILABLE' | 'BACKEND_FALLBACK' | 'BACKEND_NONE';

export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message);
  }
}
