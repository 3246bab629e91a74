import { TunefleetError } from '@tunefleet/core';

export type ModelTaskErrorCode = 'MODEL_TASK_UNSUPPORTED'; // the family has no head for the task (BERT has no causal-lm head, GPT-2 no classifier)

/** A task asked of a model family that has no head for it. Fatal: pick another task or model. */
export class ModelTaskError extends TunefleetError<ModelTaskErrorCode> {
  override readonly name: string = 'ModelTaskError';
}
