import { TunefleetError } from '@tunefleet/core';

/** Stable error codes of the coordinator; callers switch on `code`, never on the message. */
export type CoordinatorErrorCode =
  | 'JOB_SPEC_INVALID'
  | 'JOB_NOT_FOUND'
  | 'JOB_NAME_TAKEN'
  | 'JOB_ALREADY_FINISHED'
  | 'WORKER_NOT_FOUND'
  | 'WORKER_CONFLICT'
  | 'REQUEST_INVALID'
  | 'UNAUTHENTICATED'
  | 'STORE_FAILED'
  | 'BIND_FAILED';

export class CoordinatorError extends TunefleetError<CoordinatorErrorCode> {
  override readonly name: string = 'CoordinatorError';

  constructor(code: CoordinatorErrorCode, message: string, options?: { cause?: unknown; isRetryable?: boolean }) {
    super(code, message, options);
  }
}

export interface SpecIssue {
  /** snake_case field path as written in the job file, e.g. `training_arguments.learning_rate`. */
  readonly field: string;
  readonly message: string;
  /** 1-based line in the job file, when the spec came from one. */
  readonly line?: number;
}

/** Every invalid field of one job spec, reported at once. */
export class JobSpecError extends CoordinatorError {
  override readonly name: string = 'JobSpecError';
  readonly issues: readonly SpecIssue[];

  constructor(source: string, issues: readonly SpecIssue[]) {
    const lines = issues.map((issue) => `  ${issue.field}${issue.line === undefined ? '' : ` (line ${issue.line})`}: ${issue.message}`);
    super('JOB_SPEC_INVALID', `${source}: ${issues.length} invalid job spec field(s):\n${lines.join('\n')}`);
    this.issues = issues;
  }
}
