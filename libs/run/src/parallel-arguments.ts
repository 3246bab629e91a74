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
});

export type ParallelArguments = Readonly<z.output<typeof ParallelArgumentsSchema>>;
