import { GradientDtype, type JobSpec } from '@tunefleet/proto';
import { describeValue, parseTrainingArguments, trainingArgumentsToJSON, TrainingArgumentsError, type TrainingArguments } from '@tunefleet/trainer';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { JobSpecError, type SpecIssue } from './errors.ts';

const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
// Past a few thousand ranks a ring all-reduce is latency-bound and the coordinator's fan-out with it.
const MAX_WORLD_SIZE = 1024;
// 30 s: longer than the slowest bucket a healthy CPU ring moves, short enough that a hang surfaces.
const DEFAULT_COLLECTIVE_TIMEOUT_MS = 30_000;
// The CLI's defaults, so a job runs what `tunefleet train` runs: SST-2 sentences average ~20 word
// pieces, so 128 loses nothing; BERT's position table holds 512.
const DEFAULT_LABEL_COLUMN = 'label';
const DEFAULT_MAX_SEQ_LENGTH = 128;
const MAX_SEQ_LENGTH_LIMIT = 512;

const nonEmpty = z.string().min(1, 'must not be empty');

const trainingArguments = z
  .record(z.string(), z.unknown(), { error: 'must be a mapping of transformers.TrainingArguments fields' })
  .transform((input, ctx): TrainingArguments => {
    try {
      return parseTrainingArguments(input, 'training_arguments');
    } catch (error) {
      if (!(error instanceof TrainingArgumentsError)) throw error;
      for (const issue of error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.field.split('.') });
      return z.NEVER;
    }
  });

/**
 * A job spec as a person writes it (the YAML job file; the gRPC JobSpec is mapped onto it). Unknown
 * keys are errors so a typo never silently falls back to a default.
 */
export const JobSpecSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, 'must be 1-63 lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit'),
  model_name_or_path: nonEmpty,
  task: z.enum(['sequence-classification', 'token-classification']),
  train_file: nonEmpty,
  // Empty: no evaluation data.
  validation_file: z.string().default(''),
  world_size: z.number().int().min(1).max(MAX_WORLD_SIZE),
  // f32: exact; bf16 halves the bytes on the wire at ~3 significant digits.
  gradient_dtype: z.enum(['f32', 'bf16']).default('f32'),
  collective_timeout_ms: z.number().int().min(100).max(3_600_000).default(DEFAULT_COLLECTIVE_TIMEOUT_MS),
  // Columns of train_file and validation_file; unset text_column: the first of text, sentence,
  // sentence1 that the file has (libs/data decides, as for `tunefleet train`).
  text_column: nonEmpty.optional(),
  text_pair_column: nonEmpty.optional(),
  label_column: nonEmpty.default(DEFAULT_LABEL_COLUMN),
  max_seq_length: z.number().int().min(1).max(MAX_SEQ_LENGTH_LIMIT).default(DEFAULT_MAX_SEQ_LENGTH),
  skip_bad_rows: z.boolean().default(false),
  training_arguments: trainingArguments,
});

/** A validated job: the canonical wire spec (defaults filled in) plus its resolved TrainingArguments. */
export interface ValidatedJobSpec {
  readonly spec: JobSpec;
  readonly trainingArguments: TrainingArguments;
}

type IssueLocator = (path: readonly PropertyKey[]) => number | undefined;

/** Validates a spec written as plain data (YAML keys); throws JobSpecError listing every invalid field. */
export function validateJobSpecInput(input: unknown, source: string, locate?: IssueLocator): ValidatedJobSpec {
  const result = JobSpecSchema.safeParse(input);
  if (!result.success) throw new JobSpecError(source, toSpecIssues(result.error.issues, input, locate));
  const value = result.data;
  const spec: JobSpec = {
    name: value.name,
    modelNameOrPath: value.model_name_or_path,
    task: value.task,
    trainFile: value.train_file,
    validationFile: value.validation_file,
    worldSize: value.world_size,
    trainingArgumentsJson: JSON.stringify(trainingArgumentsToJSON(value.training_arguments)),
    gradientDtype: value.gradient_dtype === 'bf16' ? GradientDtype.GRADIENT_DTYPE_BF16 : GradientDtype.GRADIENT_DTYPE_F32,
    collectiveTimeoutMs: value.collective_timeout_ms,
    ...(value.text_column === undefined ? {} : { textColumn: value.text_column }),
    ...(value.text_pair_column === undefined ? {} : { textPairColumn: value.text_pair_column }),
    labelColumn: value.label_column,
    maxSeqLength: value.max_seq_length,
    skipBadRows: value.skip_bad_rows,
  };
  return Object.freeze({ spec: Object.freeze(spec), trainingArguments: value.training_arguments });
}

/** Validates a JobSpec received over gRPC (proto3 zero values mean "not set"). */
export function validateJobSpec(spec: JobSpec | undefined, source: string): ValidatedJobSpec {
  if (spec === undefined) throw new JobSpecError(source, [{ field: 'spec', message: 'is required' }]);
  const input: Record<string, unknown> = {
    name: spec.name,
    model_name_or_path: spec.modelNameOrPath,
    task: spec.task,
    train_file: spec.trainFile,
    validation_file: spec.validationFile,
    world_size: spec.worldSize,
    gradient_dtype: gradientDtypeName(spec.gradientDtype),
    collective_timeout_ms: spec.collectiveTimeoutMs === 0 ? undefined : spec.collectiveTimeoutMs,
    text_column: spec.textColumn,
    text_pair_column: spec.textPairColumn,
    label_column: spec.labelColumn,
    max_seq_length: spec.maxSeqLength,
    skip_bad_rows: spec.skipBadRows,
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
  const input: unknown = document.toJS();
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
