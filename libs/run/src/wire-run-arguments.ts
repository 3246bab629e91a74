import { RunArgumentsSchema, type RunArguments } from './run-arguments.ts';
import { fieldIssues } from './run-spec.ts';
import { RunSpecError } from './run-spec-error.ts';

/**
 * The run fields of the gRPC JobSpec (libs/proto), described structurally so this library needs no
 * wire code: a `JobSpec` is one. The optional fields are proto3 `optional`: unset is undefined.
 */
export interface RunArgumentsWire {
  readonly modelNameOrPath: string;
  readonly task: string;
  readonly trainFile: string;
  readonly validationFile: string;
  readonly textColumn?: string;
  readonly textPairColumn?: string;
  readonly labelColumn?: string;
  readonly maxSeqLength?: number;
  readonly skipBadRows?: boolean;
  /** The run fields without a typed wire field, as a JSON object (snake_case keys); "" or absent: none. */
  readonly runArgumentsJson?: string;
}

/** Run fields the JobSpec carries as typed fields; every other one travels in `run_arguments_json`. */
const TYPED_WIRE_FIELDS = new Set([
  'model_name_or_path',
  'task',
  'train_file',
  'validation_file',
  'text_column',
  'text_pair_column',
  'label_column',
  'max_seq_length',
  'skip_bad_rows',
]);

/** `run_arguments_json` for a validated run: its fields that have no typed JobSpec field of their own. */
export function runArgumentsJsonOf(run: Readonly<Record<string, unknown>>): string {
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(RunArgumentsSchema.shape)) {
    if (!TYPED_WIRE_FIELDS.has(key) && run[key] !== undefined) extra[key] = run[key];
  }
  return JSON.stringify(extra);
}

/** The JSON half of a JobSpec's run fields; a value that is not a JSON object is reported as the field it is. */
function extraRunArguments(wire: RunArgumentsWire): Record<string, unknown> {
  if (wire.runArgumentsJson === undefined || wire.runArgumentsJson === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(wire.runArgumentsJson);
  } catch (error) {
    throw new RunSpecError('job spec', [{ field: 'run_arguments_json', message: `is not valid JSON: ${(error as Error).message}` }]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RunSpecError('job spec', [{ field: 'run_arguments_json', message: 'must be a JSON object of run fields' }]);
  }
  const unknown = Object.keys(parsed).filter((key) => TYPED_WIRE_FIELDS.has(key));
  if (unknown.length > 0) {
    throw new RunSpecError('job spec', [{ field: 'run_arguments_json', message: `carries ${unknown.join(', ')}, which have typed JobSpec fields` }]);
  }
  return parsed as Record<string, unknown>;
}

/** A JobSpec's run fields under their snake_case keys, as the schema reads them ("" validation_file: none). */
export function runArgumentsInputFromWire(wire: RunArgumentsWire): Record<string, unknown> {
  return {
    ...extraRunArguments(wire),
    model_name_or_path: wire.modelNameOrPath,
    task: wire.task,
    train_file: wire.trainFile,
    validation_file: wire.validationFile === '' ? undefined : wire.validationFile,
    text_column: wire.textColumn,
    text_pair_column: wire.textPairColumn,
    label_column: wire.labelColumn,
    max_seq_length: wire.maxSeqLength,
    skip_bad_rows: wire.skipBadRows,
  };
}

/**
 * A JobSpec's run arguments, defaults filled in (a spec stored before a field existed runs with
 * `tunefleet train`'s default for it). Throws RunSpecError naming every invalid field.
 */
export function runArgumentsFromWire(wire: RunArgumentsWire, source: string): RunArguments {
  const input = runArgumentsInputFromWire(wire);
  const result = RunArgumentsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, RunArgumentsSchema.shape));
  return Object.freeze(result.data);
}
