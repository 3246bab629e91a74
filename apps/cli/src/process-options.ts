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
 * Prometheus metrics of this process (`train`, `coordinator`, `worker`). Unset port: no /metrics.
 * With `train --workers N` the coordinator serves on the port and worker k on port + 1 + k.
 */
export const MetricsOptionsSchema = z.strictObject({
  metrics_port: z
    .number()
    .int()
    .min(0)
    .max(65535 - 1 - 64) // room for the local workers' ports above it
    .optional()
    .describe('serve Prometheus metrics at /metrics on this port (train --workers N: worker k on port+1+k; 0 = any free port)'),
  // Loopback: a scraper elsewhere needs an explicit 0.0.0.0 (the Kubernetes manifests pass it).
  metrics_host: z.string().min(1).default('127.0.0.1').describe('interface the metrics server binds (default loopback only)'),
});

export type MetricsOptions = Readonly<z.output<typeof MetricsOptionsSchema>>;

/**
 * The fields `tunefleet train` takes beside the RunSpec: how this machine runs it. With
 * `--workers N` the parallel fields go into the local cluster's job spec.
 */
export const TrainProcessSchema = z.strictObject({
  ...ProcessOptionsSchema.shape,
  ...ParallelArgumentsSchema.shape,
  ...MetricsOptionsSchema.shape,
  // Unpinned by default: binding only pays off on an otherwise idle machine (BENCHMARKS.md).
  bind_cores: z
    .boolean()
    .default(false)
    .describe('with --workers: pin each worker to its own CPU cores (--threads of them, default cores / workers), as mpirun --bind-to core'),
  // Unset: no live page. 0: any free port (the page's address is printed at start).
  ui_port: z.number().int().min(0).max(65535).optional().describe('serve the live page (progress, curves, workers) on this port; 0 = any free port'),
  // Loopback: the page shows the run to whoever can reach it.
  ui_host: z.string().min(1).default('127.0.0.1').describe('interface the live page binds (default loopback only)'),
});

export type TrainProcessOptions = Readonly<z.output<typeof TrainProcessSchema>>;

/** --backend/--threads of a command that has no other schema fields (the worker). */
export function parseProcessOptions(values: Record<string, unknown>, source: string): Readonly<z.output<typeof ProcessOptionsSchema>> {
  const input = optionValuesToKeys(values, ProcessOptionsSchema.shape);
  const result = ProcessOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, ProcessOptionsSchema.shape));
  return Object.freeze(result.data);
}

/** --metrics-port/--metrics-host of `coordinator` and `worker`. */
export function parseMetricsOptions(values: Record<string, unknown>, source: string): MetricsOptions {
  const input = optionValuesToKeys(values, MetricsOptionsSchema.shape);
  const result = MetricsOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, MetricsOptionsSchema.shape));
  return Object.freeze(result.data);
}
