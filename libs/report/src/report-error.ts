import { TunefleetError } from '@tunefleet/core';

/** Stable codes of the report library's failures. */
export type ReportErrorCode = 'REPORT_WRITE_FAILED' | 'TRAINER_STATE_INVALID';

export class ReportError extends TunefleetError<ReportErrorCode> {
  override readonly name: string = 'ReportError';
}
