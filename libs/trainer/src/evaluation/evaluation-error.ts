import { TunefleetError } from '@tunefleet/core';

/** Stable codes of model comparison and the regression gate. */
export type EvaluationErrorCode =
  /** A gate string that is not `<metric><op><number>` (e.g. "accuracy>=-0.5"). */
  | 'GATE_MALFORMED'
  /** A gate on a metric that neither the new model's nor the baseline's results carry. */
  | 'GATE_UNKNOWN_METRIC'
  /** Predictions, labels or groups of different lengths, no examples, or a setting out of range. */
  | 'EVALUATION_INPUT_INVALID';

export class EvaluationError extends TunefleetError<EvaluationErrorCode> {
  override readonly name = 'EvaluationError';
}
