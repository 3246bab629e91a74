import { describeValue, parseTrainingArguments, TrainingArgumentsError, type TrainingArguments } from '@tunefleet/trainer';
import { z } from 'zod';
import { flagOf } from './field-flags.ts';
import { MODEL_ALIAS } from './model-alias.ts';
import { RunArgumentsSchema, type RunArguments } from './run-arguments.ts';
import { RunSpecError, type RunSpecIssue } from './run-spec-error.ts';
import { TrainingArgumentsField } from './training-arguments-field.ts';
import { translationIssues } from './translation-inputs.ts';

/**
 * One fine-tuning run: run_glue's arguments (model, task, data, columns, truncation) plus
 * transformers.TrainingArguments. A YAML run file, `tunefleet train` flags and a gRPC JobSpec all
 * parse into it; the job spec is this schema plus the cluster's fields.
 */
export const RunSpecSchema = RunArgumentsSchema.extend({ training_arguments: TrainingArgumentsField });

export type RunSpec = RunArguments & { readonly training_arguments: TrainingArguments };

const RUN_KEYS = new Set(Object.keys(RunArgumentsSchema.shape));

/** The RunSpec inside a parsed object that holds its fields among others (a job spec); frozen. */
export function pickRunSpec(value: RunArguments & { readonly training_arguments: TrainingArguments }): RunSpec {
  const run: Record<string, unknown> = {};
  for (const key of RUN_KEYS) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) run[key] = field;
  }
  return Object.freeze({ ...run, training_arguments: value.training_arguments }) as RunSpec;
}

export interface ParsedRunConfig<Extra extends z.ZodRawShape> {
  readonly run: RunSpec;
  /** The caller's own fields (`extra`), parsed and defaulted. */
  readonly extra: Readonly<z.output<z.ZodObject<Extra>>>;
}

/**
 * A run written flat, as `tunefleet train` takes it: run_glue fields, the caller's `extra` fields
 * (backend, workers' settings) and TrainingArguments fields side by side, snake_case, from a YAML
 * file merged with flags. `model` is accepted for `model_name_or_path` (the CLI's flag). Every
 * invalid field of all three kinds is reported in one RunSpecError; undefined values count as unset.
 */
export function parseRunConfig<Extra extends z.ZodRawShape = Record<never, never>>(
  input: Readonly<Record<string, unknown>>,
  source: string,
  extra: Extra = {} as Extra,
): ParsedRunConfig<Extra> {
  const ownKeys = new Set([...RUN_KEYS, ...Object.keys(extra)]);
  const own: Record<string, unknown> = {};
  const training: Record<string, unknown> = {};
  const issues: RunSpecIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === MODEL_ALIAS) {
      if (input['model_name_or_path'] !== undefined) {
        issues.push({ field: MODEL_ALIAS, flag: `--${MODEL_ALIAS}`, message: 'is another name for model_name_or_path; give one of them' });
      }
      own['model_name_or_path'] = value;
    } else if (ownKeys.has(key)) own[key] = value;
    else training[key] = value;
  }
  // Translation from aligned files: the source file is the training file (run_translation has no train_file then).
  if (own['task'] === 'translation' && own['train_file'] === undefined && own['source_file'] !== undefined) own['train_file'] = own['source_file'];
  const shape = { ...RunArgumentsSchema.shape, ...extra };
  const result = z.strictObject(shape).safeParse(own);
  if (!result.success) issues.push(...fieldIssues(result.error.issues, own, shape));
  else issues.push(...translationIssues(result.data as RunArguments));
  let trainingArguments: TrainingArguments | undefined;
  try {
    trainingArguments = parseTrainingArguments(training, source);
  } catch (error) {
    if (!(error instanceof TrainingArgumentsError)) throw error;
    issues.push(...error.issues.map((issue) => ({ field: issue.field, flag: `--${flagOf(issue.field, undefined)}`, message: issue.message })));
  }
  if (issues.length > 0 || !result.success || trainingArguments === undefined) throw new RunSpecError(source, issues);
  const parsed = result.data as Record<string, unknown>;
  const extraValues: Record<string, unknown> = {};
  for (const key of Object.keys(extra)) if (parsed[key] !== undefined) extraValues[key] = parsed[key];
  return {
    run: pickRunSpec({ ...(parsed as RunArguments), training_arguments: trainingArguments }),
    extra: Object.freeze(extraValues) as ParsedRunConfig<Extra>['extra'],
  };
}

/** zod issues of a flat mapping as run issues: field, flag, what was wrong and what was given. */
export function fieldIssues(issues: readonly z.core.$ZodIssue[], input: unknown, shape: z.ZodRawShape): RunSpecIssue[] {
  return issues.flatMap((issue): RunSpecIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: key, message: 'is not a known run field' }));
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    const key = String(issue.path[0] ?? '');
    const flag = key in shape ? `--${flagOf(key, shape[key])}` : undefined;
    const received = describeValue(input, issue.path);
    const message = issue.code === 'invalid_type' && received === '' ? 'is required' : `${issue.message}${received}`;
    return [{ field, ...(flag === undefined ? {} : { flag }), message }];
  });
}
