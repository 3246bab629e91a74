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
}

/** A JobSpec's run fields under their snake_case keys, as the schema reads them ("" validation_file: none). */
export function runArgumentsInputFromWire(wire: RunArgumentsWire): Record<string, unknown> {
  return {
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
