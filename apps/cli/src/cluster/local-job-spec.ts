import { validateJobSpecInput } from '@tunefleet/coordinator';
import type { JobSpec } from '@tunefleet/proto';
import type { ParallelArguments, RunSpec } from '@tunefleet/run';
import { trainingArgumentsToJSON } from '@tunefleet/trainer';

/**
 * The job `tunefleet train --workers N` submits: the single-process run's RunSpec (model, data,
 * columns, truncation, bad-row policy, TrainingArguments) plus the workers' gradient dtype and
 * collective timeout, checked by the coordinator's own schema (so a bad value fails here, before any
 * process starts). Paths stay as given: the workers run in this process's working directory.
 */
export function localJobSpec(run: RunSpec, parallel: ParallelArguments, workers: number, source: string): JobSpec {
  const { training_arguments: args, ...runArguments } = run;
  const input = {
    name: 'local-train',
    ...runArguments,
    world_size: workers,
    // f32 (default): gradients averaged exactly, as the single-process run computes them.
    gradient_dtype: parallel.gradient_dtype,
    collective_timeout_ms: parallel.collective_timeout_ms,
    // Elastic membership: a lost worker process re-forms the ring with the others.
    min_workers: parallel.min_workers,
    ...(parallel.max_workers === undefined ? {} : { max_workers: parallel.max_workers }),
    min_workers_timeout_ms: parallel.min_workers_timeout_ms,
    max_restarts: parallel.max_restarts,
    training_arguments: trainingArgumentsToJSON(args),
  };
  return validateJobSpecInput(input, source).spec;
}
