import { TunefleetError } from '@tunefleet/core';

/** Stable codes for model construction, forward and loading faults. */
export type BertModelErrorCode =
  | 'BATCH_SHAPE' // typed arrays do not match batchSize x seqLength, or seq is too long
  | 'BATCH_VALUE' // an id outside its embedding table, a label outside [0, numLabels)
  | 'MISSING_WEIGHT' // a checkpoint lacks an encoder tensor
  | 'SHAPE_MISMATCH' // a tensor's shape differs from the config's
  | 'UNKNOWN_PARAMETER'; // a name the model does not have

/** A model fault. Fatal: the same inputs fail the same way. `tensor` names the parameter at fault. */
export class BertModelError extends TunefleetError<BertModelErrorCode> {
  override readonly name: string = 'BertModelError';
  constructor(
    code: BertModelErrorCode,
    message: string,
    readonly tensor?: string,
  ) {
    super(code, message);
  }
}
