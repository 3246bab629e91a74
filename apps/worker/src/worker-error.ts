/** Stable codes of the worker's own failures; callers switch on `code`, never on the message. */
export type WorkerErrorCode =
  | 'WORKER_OPTIONS_INVALID'
  | 'COORDINATOR_UNREACHABLE'
  | 'COORDINATOR_REJECTED'
  | 'ASSIGNMENT_INVALID'
  | 'TASK_UNSUPPORTED'
  | 'STOPPED_BY_COORDINATOR';

export class WorkerError extends Error {
  override readonly name = 'WorkerError';

  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    /** A fault that a re-formed ring may get past (a lost peer), as opposed to one that recurs. */
    readonly isRetryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `code` and retryability of any error thrown while training: typed errors keep theirs. */
export function describeFailure(error: unknown): { code: string; message: string; isRetryable: boolean } {
  const e = error as { code?: unknown; message?: unknown; isRetryable?: unknown };
  const code = typeof e?.code === 'string' && e.code !== '' ? e.code : 'WORKER_FAILED';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return { code, message, isRetryable: e?.isRetryable === true };
}
