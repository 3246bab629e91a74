import { GradientDtype, type JobSpec } from '@tunefleet/proto';
import { ParallelArgumentsSchema, pickRunSpec, runArgumentsInputFromWire, runArgumentsJsonOf, RunSpecError, RunSpecSchema, RunTaskSchema, type RunSpec } from '@tunefleet/run';
import { describeValue, trainingArgumentsToJSON, type TrainingArguments } from '@tunefleet/trainer';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { JobSpecError, type SpecIssue } from './coordinator-error.ts';

const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
// Past a few thousand ranks a ring all-reduce is latency-bound and the coordinator's fan-out with it.
const MAX_WORLD_SIZE = 1024;

/**
 * A job spec as a person writes it (the YAML job file; the gRPC JobSpec is mapped onto it): the run
 * (`RunSpecSchema` of libs/run, `training_arguments` nested) plus the cluster's fields. Unknown keys
 * are errors so a typo never silently falls back to a default.
 */
export const JobSpecSchema = RunSpecSchema.extend({
  name: z.string().regex(NAME_PATTERN, 'must be 1-63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit'),
  // A job names its task: what a cluster spends hours on is never a default.
  task: RunTaskSchema,
  world_size: z.number().int().min(1).max(MAX_WORLD_SIZE),
  ...ParallelArgumentsSchema.shape,
});

/** A validated job: the canonical wire spec (defaults filled in) plus its resolved TrainingArguments. */
export interface ValidatedJobSpec {
  readonly spec: JobSpec;
  /** What the job runs, as `tunefleet train` would parse it. */
  readonly run: RunSpec;
  readonly trainingArguments: TrainingArguments;
}

type IssueLocator = (path: readonly PropertyKey[]) => number | undefined;

/** Validates a spec written as plain data (YAML keys); throws JobSpecError listing every invalid field. */
export function validateJobSpecInput(input: unknown, source: string, locate?: IssueLocator): ValidatedJobSpec {
  const result = JobSpecSchema.safeParse(input);
  if (!result.success) throw new JobSpecError(source, toSpecIssues(result.error.issues, input, locate));
  const value = result.data;
  const membership = membershipIssues(value.world_size, value.min_workers, value.max_workers, locate);
  if (membership.length > 0) throw new JobSpecError(source, membership);
  const spec: JobSpec = {
    name: value.name,
    modelNameOrPath: value.model_name_or_path,
    task: value.task,
    trainFile: value.train_file,
    validationFile: value.validation_file ?? '',
    worldSize: value.world_size,
    trainingArgumentsJson: JSON.stringify(trainingArgumentsToJSON(value.training_arguments)),
    gradientDtype: value.gradient_dtype === 'bf16' ? GradientDtype.GRADIENT_DTYPE_BF16 : GradientDtype.GRADIENT_DTYPE_F32,
    collectiveTimeoutMs: value.collective_timeout_ms,
    minWorkers: value.min_workers,
    maxWorkers: value.max_workers ?? value.world_size,
    minWorkersTimeoutMs: value.min_workers_timeout_ms,
    maxRestarts: value.max_restarts,
    ...(value.text_column === undefined ? {} : { textColumn: value.text_column }),
    ...(value.text_pair_column === undefined ? {} : { textPairColumn: value.text_pair_column }),
    labelColumn: value.label_column,
    maxSeqLength: value.max_seq_length,
    skipBadRows: value.skip_bad_rows,
    runArgumentsJson: runArgumentsJsonOf(value),
  };
  return Object.freeze({ spec: Object.freeze(spec), run: pickRunSpec(value), trainingArguments: value.training_arguments });
}

/** Validates a JobSpec received over gRPC (proto3 zero values mean "not set"). */
export function validateJobSpec(spec: JobSpec | undefined, source: string): ValidatedJobSpec {
  if (spec === undefined) throw new JobSpecError(source, [{ field: 'spec', message: 'is required' }]);
  let runInput: Record<string, unknown>;
  try {
    runInput = runArgumentsInputFromWire(spec);
  } catch (error) {
    if (!(error instanceof RunSpecError)) throw error;
    throw new JobSpecError(source, error.issues.map((issue) => ({ field: issue.field, message: issue.message })));
  }
  const input: Record<string, unknown> = {
    name: spec.name,
    ...runInput,
    world_size: spec.worldSize,
    gradient_dtype: gradientDtypeName(spec.gradientDtype),
    collective_timeout_ms: spec.collectiveTimeoutMs === 0 ? undefined : spec.collectiveTimeoutMs,
    min_workers: spec.minWorkers,
    max_workers: spec.maxWorkers,
    min_workers_timeout_ms: spec.minWorkersTimeoutMs === undefined || spec.minWorkersTimeoutMs === 0 ? undefined : spec.minWorkersTimeoutMs,
    max_restarts: spec.maxRestarts,
  };
  const jsonIssues: SpecIssue[] = [];
  if (spec.trainingArgumentsJson !== '') {
    try {
      input.training_arguments = JSON.parse(spec.trainingArgumentsJson);
    } catch (error) {
      jsonIssues.push({ field: 'training_arguments_json', message: `is not valid JSON: ${(error as Error).message}` });
      input.training_arguments = {};
    }
  }
  try {
    const validated = validateJobSpecInput(input, source);
    if (jsonIssues.length > 0) throw new JobSpecError(source, jsonIssues);
    return validated;
  } catch (error) {
    if (!(error instanceof JobSpecError) || jsonIssues.length === 0) throw error;
    // Invalid JSON was replaced by {}; drop the "missing field" noise that caused.
    const rest = error.issues.filter((issue) => !issue.field.startsWith('training_arguments'));
    throw new JobSpecError(source, [...rest, ...jsonIssues]);
  }
}

/** min_workers <= world_size <= max_workers: the first gang has world_size ranks, re-formed ones min..max. */
function membershipIssues(worldSize: number, minWorkers: number, maxWorkers: number | undefined, locate?: IssueLocator): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (minWorkers > worldSize) issues.push({ field: 'min_workers', line: locate?.(['min_workers']), message: `${minWorkers} is more than world_size ${worldSize}` });
  if (maxWorkers !== undefined && maxWorkers < worldSize) {
    issues.push({ field: 'max_workers', line: locate?.(['max_workers']), message: `${maxWorkers} is less than world_size ${worldSize}` });
  }
  return issues;
}

function gradientDtypeName(dtype: GradientDtype): string | undefined {
  switch (dtype) {
    case GradientDtype.GRADIENT_DTYPE_UNSPECIFIED:
      return undefined;
    case GradientDtype.GRADIENT_DTYPE_F32:
      return 'f32';
    case GradientDtype.GRADIENT_DTYPE_BF16:
      return 'bf16';
    default:
      return `unknown enum value ${dtype}`;
  }
}

/** A YAML job file (snake_case keys, `training_arguments` as a nested mapping) -> validated JobSpec. */
export function parseJobSpecYaml(text: string, file: string): JobSpec {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => ({
      field: '(yaml)',
      line: error.linePos?.[0]?.line,
      message: error.message.split('\n')[0],
    }));
    throw new JobSpecError(file, issues);
  }
  let input: unknown;
  try {
    // toJS resolves aliases: an undefined one, or too many (an alias bomb), throws here (found by test/fuzz).
    input = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new JobSpecError(file, [{ field: '(yaml)', message: (error as Error).message.split('\n')[0]! }]);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new JobSpecError(file, [{ field: '(root)', message: 'expected a mapping of job spec fields' }]);
  }
  const locate: IssueLocator = (path) => {
    // Only fields present in the file have a line; a missing one is reported without.
    const node = path.length === 0 ? undefined : document.getIn(path as unknown[], true);
    return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  return validateJobSpecInput(input, file, locate).spec;
}

function toSpecIssues(issues: readonly z.core.$ZodIssue[], input: unknown, locate?: IssueLocator): SpecIssue[] {
  return issues.flatMap((issue): SpecIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        return { field: path.map(String).join('.'), line: locate?.(path), message: 'is not a known job spec field' };
      });
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    if (field.startsWith('training_arguments.')) return [{ field, line: locate?.(issue.path), message: issue.message }];
    const received = describeValue(input, issue.path);
    const message = issue.code === 'invalid_type' && received === '' ? 'is required' : `${issue.message}${received}`;
    return [{ field, line: locate?.(issue.path), message }];
  });
}
