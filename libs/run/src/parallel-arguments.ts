import { z } from 'zod';

// 30 s: longer than the slowest bucket a healthy CPU ring moves, short enough that a hang surfaces.
export const DEFAULT_COLLECTIVE_TIMEOUT_MS = 30_000;

/**
 * How the ranks of a data-parallel run exchange gradients: part of every job spec and of
 * `tunefleet train --workers N`. A single-process run has no all-reduce and refuses non-defaults.
 */
export const ParallelArgumentsSchema = z.strictObject({
  // f32: exact; bf16 halves the bytes on the wire at ~3 significant digits.
  gradient_dtype: z.enum(['f32', 'bf16']).default('f32').describe('with --workers: gradients on the wire as f32 (exact) or bf16 (half the bytes)'),
  collective_timeout_ms: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(DEFAULT_COLLECTIVE_TIMEOUT_MS)
    .describe('with --workers: deadline of one all-reduce; a stalled collective fails after this long'),
  // Elastic membership (docs/architecture.md "Elastic membership"): a lost rank re-forms the ring
  // from the last checkpoint with the workers left. 1: a job goes on while any worker is left.
  min_workers: z.number().int().min(1).max(1024).default(1).describe('with --workers: the fewest ranks the job goes on with after losing some; below it the job waits'),
  // Unset: world_size (a job never grows past what was asked).
  max_workers: z.number().int().min(1).max(1024).optional().describe('with --workers: the most ranks a re-formed ring takes (default: world_size)'),
  // 10 min: long enough to replace a machine, short enough that a job never waits forever.
  min_workers_timeout_ms: z
    .number()
    .int()
    .min(100)
    .max(86_400_000)
    .default(600_000)
    .describe('with --workers: how long a job below min_workers waits for workers before it fails'),
  // 5: a crash loop (a fault that recurs after every re-formation) ends instead of spinning.
  max_restarts: z.number().int().min(0).max(1000).default(5).describe('with --workers: re-formations of the ring after lost ranks before the job fails'),
});

export type ParallelArguments = Readonly<z.output<typeof ParallelArgumentsSchema>>;
