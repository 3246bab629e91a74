/**
 * The one root of every tunefleet error. `code` is stable and says what happened
 * (`BIND_FAILED`, `DATA_INVALID_ROWS`): match on it, never on the message. `isRetryable`
 * separates a fault that another attempt may clear (a lost peer: re-form the ring) from one that
 * recurs (a shape mismatch, a bad token).
 */
export class TunefleetError<Code extends string = string> extends Error {
  override readonly name: string = 'TunefleetError';
  readonly code: Code;
  readonly isRetryable: boolean;

  constructor(code: Code, message: string, options?: { cause?: unknown; isRetryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.isRetryable = options?.isRetryable ?? false;
  }
}

/** The stable code of any error: a TunefleetError's own, otherwise Node's (`ENOENT`), otherwise undefined. */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof TunefleetError) return error.code;
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string') {
    return (error as NodeJS.ErrnoException).code;
  }
  return undefined;
}
