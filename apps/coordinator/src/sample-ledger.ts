import Database from 'better-sqlite3';
import type { StepSamples } from '@tunefleet/proto';

/** One rank's consumption in one committed optimizer step. */
export interface LedgerRow {
  readonly generation: number;
  readonly step: number;
  readonly rank: number;
  readonly epoch: number;
  /** [start, end) pairs of training-set rows, flattened. */
  readonly ranges: readonly number[];
}

/** What `checkLedger` found: per epoch, rows consumed more than once and rows never consumed. */
export interface LedgerReport {
  readonly steps: number;
  readonly epochs: readonly { epoch: number; samples: number; duplicated: number; missing: number }[];
  /** Steps 1..last for which some rank of the step's ring has no row (its report never arrived). */
  readonly incompleteSteps: readonly number[];
}

export const LEDGER_SCHEMA = `
  CREATE TABLE IF NOT EXISTS ledger (
    job_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    step INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    ranges TEXT NOT NULL,
    PRIMARY KEY (job_id, generation, step, rank)
  );
  -- Each ring generation of a job: its ranks (for completeness checks) and worker ids.
  CREATE TABLE IF NOT EXISTS generations (
    generation INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    world_size INTEGER NOT NULL,
    worker_ids TEXT NOT NULL
  );
`;

/**
 * The sample ledger (docs/architecture.md "Elastic membership"): every rank reports the training
 * rows it consumed in each optimizer step; the rows of the committed training (steps up to the
 * checkpoint a re-formed ring resumed from, then the new ring's steps) stay, the rest are rolled
 * back when the ring re-forms. Exactly-once is checked on these rows by id.
 */
export class SampleLedger {
  constructor(private readonly db: Database.Database) {}

  /** Records a ring the coordinator formed: its job and its workers by rank. */
  addGeneration(jobId: string, generation: number, workerIds: readonly string[]): void {
    this.db
      .prepare('INSERT OR REPLACE INTO generations (generation, job_id, world_size, worker_ids) VALUES (?, ?, ?, ?)')
      .run(generation, jobId, workerIds.length, JSON.stringify(workerIds));
  }

  /** The job and the workers (by rank) of a ring generation, if the coordinator ever formed it. */
  generation(generation: number): { jobId: string; worldSize: number; workerIds: string[] } | undefined {
    const row = this.db.prepare('SELECT * FROM generations WHERE generation = ?').get(generation) as
      | { job_id: string; world_size: number; worker_ids: string }
      | undefined;
    return row === undefined ? undefined : { jobId: row.job_id, worldSize: row.world_size, workerIds: JSON.parse(row.worker_ids) as string[] };
  }

  record(jobId: string, generation: number, rank: number, samples: readonly StepSamples[]): void {
    const insert = this.db.prepare('INSERT OR REPLACE INTO ledger (job_id, generation, step, rank, epoch, ranges) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const s of samples) insert.run(jobId, generation, s.step, rank, s.epoch, JSON.stringify(s.ranges));
    })();
  }

  /**
   * True when every rank of `generation` has reported every step from the generation's first step
   * through `step`: a checkpoint at `step` is then backed by a complete record.
   */
  covers(jobId: string, generation: number, step: number): boolean {
    const info = this.generation(generation);
    if (info === undefined) return false;
    const first = this.db.prepare('SELECT MIN(step) AS m FROM ledger WHERE job_id = ? AND generation = ?').get(jobId, generation) as { m: number | null };
    if (first.m === null || first.m > step) return false;
    const counts = this.db
      .prepare('SELECT rank, COUNT(*) AS n FROM ledger WHERE job_id = ? AND generation = ? AND step <= ? GROUP BY rank')
      .all(jobId, generation, step) as { rank: number; n: number }[];
    const expected = step - first.m + 1;
    return counts.length === info.worldSize && counts.every((c) => c.n === expected);
  }

  /** Drops the rows of steps after `step` (0: all): a re-formed ring redoes them from that checkpoint. */
  rollBack(jobId: string, step: number): number {
    return this.db.prepare('DELETE FROM ledger WHERE job_id = ? AND step > ?').run(jobId, step).changes;
  }

  rows(jobId: string): LedgerRow[] {
    const rows = this.db.prepare('SELECT * FROM ledger WHERE job_id = ? ORDER BY step, rank').all(jobId) as {
      generation: number;
      step: number;
      rank: number;
      epoch: number;
      ranges: string;
    }[];
    return rows.map((row) => ({ generation: row.generation, step: row.step, rank: row.rank, epoch: row.epoch, ranges: JSON.parse(row.ranges) as number[] }));
  }

  /** The exactly-once check over `numExamples` training rows: per epoch, duplicates and (for full epochs) missing ids. */
  check(jobId: string, numExamples: number, fullEpochs: ReadonlySet<number>): LedgerReport {
    return checkLedgerRows(this.rows(jobId), numExamples, fullEpochs, (generation) => this.generation(generation)?.worldSize ?? 0);
  }
}

/** Exactly-once over ledger rows; `worldSizeOf` says how many ranks each generation had. */
export function checkLedgerRows(
  rows: readonly LedgerRow[],
  numExamples: number,
  fullEpochs: ReadonlySet<number>,
  worldSizeOf: (generation: number) => number,
): LedgerReport {
  const byEpoch = new Map<number, Uint32Array>();
  const ranksByStep = new Map<number, { generation: number; ranks: Set<number> }>();
  let lastStep = 0;
  for (const row of rows) {
    lastStep = Math.max(lastStep, row.step);
    const seen = ranksByStep.get(row.step) ?? { generation: row.generation, ranks: new Set<number>() };
    seen.ranks.add(row.rank);
    ranksByStep.set(row.step, seen);
    const counts = byEpoch.get(row.epoch) ?? new Uint32Array(numExamples);
    byEpoch.set(row.epoch, counts);
    for (let i = 0; i + 1 < row.ranges.length; i += 2) {
      for (let id = row.ranges[i]!; id < row.ranges[i + 1]!; id++) if (id < numExamples) counts[id]! += 1;
    }
  }
  const incompleteSteps: number[] = [];
  for (let step = 1; step <= lastStep; step++) {
    const seen = ranksByStep.get(step);
    if (seen === undefined || seen.ranks.size < worldSizeOf(seen.generation)) incompleteSteps.push(step);
  }
  const epochs = [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, counts]) => {
      let samples = 0;
      let duplicated = 0;
      let missing = 0;
      for (const count of counts) {
        samples += count;
        if (count > 1) duplicated += count - 1;
        if (count === 0 && fullEpochs.has(epoch)) missing += 1;
      }
      return { epoch, samples, duplicated, missing };
    });
  return { steps: lastStep, epochs, incompleteSteps };
}

/** Sorted row ids -> [start, end) pairs flattened (what a rank reports). */
export function toRanges(ids: Iterable<number>): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  const ranges: number[] = [];
  for (const id of sorted) {
    if (ranges.length > 0 && ranges[ranges.length - 1] === id) ranges[ranges.length - 1] = id + 1;
    else ranges.push(id, id + 1);
  }
  return ranges;
}

/** `SampleLedger.check` on a coordinator's database file (read-only; the coordinator may be running). */
export function checkLedgerFile(dbPath: string, jobId: string, numExamples: number, fullEpochs: ReadonlySet<number>): LedgerReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return new SampleLedger(db).check(jobId, numExamples, fullEpochs);
  } finally {
    db.close();
  }
}
