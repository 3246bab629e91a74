import { TunefleetError } from '@tunefleet/core';

/** Failures of the /metrics server. */
export type MetricsErrorCode = 'BIND_FAILED' | 'METRICS_OPTIONS_INVALID';

export class MetricsError extends TunefleetError<MetricsErrorCode> {
  override readonly name: string = 'MetricsError';

  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
