import { TunefleetError } from '@tunefleet/core';

/** Stable error codes of @tunefleet/trainer; callers switch on `code`, never on the message. */
export type TrainerErrorCode =
  | 'ARGS_INVALID'
  | 'DATASET_MISSING'
  | 'DATASET_EMPTY'
  | 'DATASET_SIZE_MISMATCH'
  | 'OUTPUT_DIR_NOT_EMPTY'
  | 'CHECKPOINT_NOT_FOUND'
  | 'CHECKPOINT_INVALID'
  | 'METRIC_MISSING'
  | 'LABELS_INVALID'
  | 'OPTIMIZER_INVALID'
  | 'NONFINITE_STEPS'
  | 'NONFINITE_WEIGHTS'
  | 'PREFLIGHT_FAILED';

export class TrainerError extends TunefleetError<TrainerErrorCode> {
  override readonly name: string = 'TrainerError';

  constructor(code: TrainerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface ArgumentIssue {
  /** snake_case field name, as written in the YAML/CLI input. */
  readonly field: string;
  readonly message: string;
}

/** Every invalid field of one training-arguments input, reported at once. */
export class TrainingArgumentsError extends TrainerError {
  override readonly name: string = 'TrainingArgumentsError';
  readonly issues: readonly ArgumentIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly ArgumentIssue[]) {
    const lines = issues.map((issue) => `  ${issue.field}: ${issue.message}`);
    super(
      'ARGS_INVALID',
      `${source}: ${issues.length} invalid training argument(s):\n${lines.join('\n')}\n` +
        'Fix these fields; names and meanings follow transformers.TrainingArguments.',
    );
    this.source = source;
    this.issues = issues;
  }
}
