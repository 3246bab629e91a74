import { TunefleetError } from '@tunefleet/core';

/**
 * What a pre-flight check (before the first training step) found. None is retryable: the same
 * run fails the same way until its settings, its disk or its data change.
 */
export type PreflightErrorCode =
  /** --output-dir cannot be created or written (read-only file system, a file in the way, permissions). */
  | 'OUTPUT_DIR_UNWRITABLE'
  /** The output directory's file system has no room for one checkpoint (or the final model). */
  | 'INSUFFICIENT_DISK_SPACE'
  /** --max-seq-length is longer than the model's position table. */
  | 'MAX_SEQ_LENGTH_TOO_LONG'
  /** A label column mixes integer labels and names (`0, 1, neg, positive`). */
  | 'LABELS_MIXED';

export class PreflightError extends TunefleetError<PreflightErrorCode> {
  override readonly name = 'PreflightError';

  constructor(code: PreflightErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `pre-flight: ${message}`, options);
  }
}
