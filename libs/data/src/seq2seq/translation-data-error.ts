import { TunefleetError } from '@tunefleet/core';

/** Stable codes of translation data that cannot be read as pairs (bad single rows are DataError DATA_INVALID_ROWS). */
export type TranslationDataErrorCode =
  /** Line-aligned source and target files with different line counts. */
  | 'DATA_MISALIGNED_FILES'
  /** A target longer than max_target_length with on_long_target "error". */
  | 'DATA_TARGET_TOO_LONG';

export class TranslationDataError extends TunefleetError<TranslationDataErrorCode> {
  override readonly name = 'TranslationDataError';
}
