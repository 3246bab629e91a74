import { TunefleetError } from '@tunefleet/core';

/** Stable codes of the data-quality checks. */
export type QualityErrorCode =
  /** A setting out of its range (a threshold outside (0, 1], a band count that is not a positive integer). */
  | 'QUALITY_BAD_ARGUMENT'
  /** No split to inspect. */
  | 'QUALITY_NO_SPLITS'
  /** The group column for slice metrics is not in the file. */
  | 'QUALITY_MISSING_COLUMN';

export class QualityError extends TunefleetError<QualityErrorCode> {
  override readonly name = 'QualityError';
}
