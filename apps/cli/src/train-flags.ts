import { Option } from 'commander';
import { RunArgumentsSchema } from '@tunefleet/run';
import { TrainingArgumentsSchema } from '@tunefleet/trainer';
import { TrainProcessSchema } from './process-options.ts';
import { optionsFromShape, optionValuesToKeys } from './schema-flags.ts';

/**
 * `tunefleet train`'s schema flags, generated: run_glue's arguments, this process's options (backend,
 * threads, the workers' gradient dtype, collective timeout and core binding), then every
 * TrainingArguments field. A field's flag, help and default live in its schema.
 */
export function trainSchemaOptions(): Option[] {
  return [
    ...optionsFromShape(RunArgumentsSchema.shape),
    ...optionsFromShape(TrainProcessSchema.shape),
    ...optionsFromShape(TrainingArgumentsSchema.shape, { fallbackHelp: 'TrainingArguments.' }),
  ];
}

/** The flags a user set, under their schema keys (snake_case, `--model` as model_name_or_path). */
export function trainFlagValues(values: Record<string, unknown>): Record<string, unknown> {
  return optionValuesToKeys(values, RunArgumentsSchema.shape, TrainProcessSchema.shape, TrainingArgumentsSchema.shape);
}
