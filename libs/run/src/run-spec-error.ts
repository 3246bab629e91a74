import { TunefleetError } from '@tunefleet/core';

export type RunSpecErrorCode = 'RUN_SPEC_INVALID';

export interface RunSpecIssue {
  /** snake_case field as written in a YAML file, e.g. `max_seq_length`. */
  readonly field: string;
  /** The command-line flag that sets it, e.g. `--max-seq-length`; absent for a nested field. */
  readonly flag?: string;
  readonly message: string;
}

/**
 * Every invalid field of one run, the run_glue half and the TrainingArguments half together, so a
 * config is fixed in one round instead of one half at a time.
 */
export class RunSpecError extends TunefleetError<RunSpecErrorCode> {
  override readonly name = 'RunSpecError';
  readonly issues: readonly RunSpecIssue[];
  readonly source: string;

  constructor(source: string, issues: readonly RunSpecIssue[]) {
    const lines = issues.map((issue) => `  ${issue.field}${issue.flag === undefined ? '' : ` (${issue.flag})`}: ${issue.message}`);
    super(
      'RUN_SPEC_INVALID',
      `${source}: ${issues.length} invalid run field(s):\n${lines.join('\n')}\n` +
        "Names and meanings follow run_glue's ModelArguments/DataTrainingArguments and transformers.TrainingArguments.",
    );
    this.source = source;
    this.issues = issues;
  }
}
