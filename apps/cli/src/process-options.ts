import { BACKEND_CHOICES, type BackendChoice } from '@tunefleet/compute';
import { fieldIssues, ParallelArgumentsSchema, RunSpecError } from '@tunefleet/run';
import { z } from 'zod';
import { optionValuesToKeys } from './schema-flags.ts';

/** How this process computes, for every command that runs a model (train, evaluate, predict, worker). */
export const ProcessOptionsSchema = z.strictObject({
  // auto: the fastest backend that starts here (tensorflow > native > wasm > cpu).
  backend: z.enum(BACKEND_CHOICES as [BackendChoice, ...BackendChoice[]]).default('auto').describe('compute backend'),
  threads: z.number().int().positive().optional().describe('CPU threads for the native backend (with --bind-cores: cores per worker)'),
});

/**
 * The fields `tunefleet train` takes beside the RunSpec: how this machine runs it. With
 * `--workers N` the parallel fields go into the local cluster's job spec.
 */
export const TrainProcessSchema = z.strictObject({
  ...ProcessOptionsSchema.shape,
  ...ParallelArgumentsSchema.shape,
  // Unpinned by default: binding only pays off on an otherwise idle machine (BENCHMARKS.md).
  bind_cores: z
    .boolean()
    .default(false)
    .describe('with --workers: pin each worker to its own CPU cores (--threads of them, default cores / workers), as mpirun --bind-to core'),
});

export type TrainProcessOptions = Readonly<z.output<typeof TrainProcessSchema>>;

/** --backend/--threads of a command that has no other schema fields (the worker). */
export function parseProcessOptions(values: Record<string, unknown>, source: string): Readonly<z.output<typeof ProcessOptionsSchema>> {
  const input = optionValuesToKeys(values, ProcessOptionsSchema.shape);
  const result = ProcessOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, ProcessOptionsSchema.shape));
  return Object.freeze(result.data);
}
