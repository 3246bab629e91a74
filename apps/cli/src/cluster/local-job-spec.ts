import { validateJobSpecInput } from '@tunefleet/coordinator';
import type { JobSpec } from '@tunefleet/proto';
import { trainingArgumentsToJSON, type TrainingArguments } from '@tunefleet/trainer';
import type { RunArguments } from '../run-config.ts';

/**
 * The job `tunefleet train --workers N` submits: the same model, data, columns, truncation, bad-row
 * policy and TrainingArguments as the single-process run, checked by the coordinator's own schema
 * (so a bad value fails here, before any process starts). Paths stay as given: the workers run in
 * this process's working directory.
 */
export function localJobSpec(run: RunArguments, args: TrainingArguments, workers: number, source: string): JobSpec {
  const input = {
    name: 'local-train',
    model_name_or_path: run.model,
    task: run.task,
    train_file: run.train_file,
    validation_file: run.validation_file ?? '',
    world_size: workers,
    // f32 (default): gradients averaged exactly, as the single-process run computes them.
    gradient_dtype: run.gradient_dtype,
    text_column: run.text_column,
    text_pair_column: run.text_pair_column,
    label_column: run.label_column,
    max_seq_length: run.max_seq_length,
    skip_bad_rows: run.skip_bad_rows,
    training_arguments: trainingArgumentsToJSON(args),
  };
  return validateJobSpecInput(input, source).spec;
}
