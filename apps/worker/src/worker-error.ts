import { errorCode, TunefleetError } from '@tunefleet/core';

/** Stable codes of the worker's own failures; callers switch on `code`, never on the message. */
export type WorkerErrorCode =
  | 'WORKER_OPTIONS_INVALID'
  | 'COORDINATOR_UNREACHABLE'
  | 'COORDINATOR_REJECTED'
  | 'ASSIGNMENT_INVALID'
  | 'TASK_UNSUPPORTED'
  | 'STOPPED_BY_COORDINATOR';

export class WorkerError extends TunefleetError<WorkerErrorCode> {
  override readonly name: string = 'WorkerError';
  /** The gRPC status the coordinator answered with, when it refused a call (NOT_FOUND: register again). */
  readonly grpcCode: number | undefined;

  constructor(
    code: WorkerErrorCode,
    message: string,
    /** A fault that a re-formed ring may get past (a lost peer), as opposed to one that recurs. */
    isRetryable = false,
    options?: { cause?: unknown; grpcCode?: number },
  ) {
    super(code, message, { cause: options?.cause, isRetryable });
    this.grpcCode = options?.grpcCode;
  }
}

/**
 * `code` and retryability of any error thrown while training: a TunefleetError keeps its code and
 * retryability, a Node error its code (`ENOENT`); anything else is WORKER_FAILED, not retryable.
 */
export function describeFailure(error: unknown): { code: string; message: string; isRetryable: boolean } {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return { code: code === undefined || code === '' ? 'WORKER_FAILED' : code, message, isRetryable: error instanceof TunefleetError && error.isRetryable };
}
