import type { JobSpec } from '@tunefleet/proto';

/** A job's elastic settings, from its canonical spec (docs/architecture.md "Elastic membership"). */
export interface MembershipPolicy {
  /** Ranks of the first gang. */
  readonly worldSize: number;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly minWorkersTimeoutMs: number;
  readonly maxRestarts: number;
}

// The job-spec defaults (libs/run's ParallelArgumentsSchema), for specs stored before these fields.
const DEFAULT_MIN_WORKERS_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_RESTARTS = 5;

export function membershipPolicy(spec: JobSpec | undefined): MembershipPolicy {
  const worldSize = Math.max(1, spec?.worldSize ?? 1);
  const maxWorkers = Math.max(worldSize, spec?.maxWorkers || worldSize);
  return {
    worldSize,
    minWorkers: Math.min(worldSize, Math.max(1, spec?.minWorkers ?? 1)),
    maxWorkers,
    minWorkersTimeoutMs: spec?.minWorkersTimeoutMs || DEFAULT_MIN_WORKERS_TIMEOUT_MS,
    maxRestarts: spec?.maxRestarts ?? DEFAULT_MAX_RESTARTS,
  };
}

/**
 * A ring being re-formed: the workers of the old ring that are still registered (`expected`), and
 * those that have left it and asked for their next assignment (`checkedIn`). The new ring forms
 * once every expected worker checked in, or after the rendezvous window with whoever did.
 */
export interface Rendezvous {
  readonly sinceMs: number;
  readonly reason: string;
  readonly expected: Set<string>;
  readonly checkedIn: Set<string>;
}

/** "rank 1 (worker w1 at 127.0.0.1:4100)". */
export function describeRank(rank: number, workerId: string, address: string | undefined): string {
  return `rank ${rank} (worker ${workerId}${address === undefined ? '' : ` at ${address}`})`;
}
