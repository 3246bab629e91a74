import Database from 'better-sqlite3';
import { Job, JobProgress, JobSpec, JobState } from '@tunefleet/proto';
import { CoordinatorError } from './coordinator-error.ts';
import { LEDGER_SCHEMA, SampleLedger } from './sample-ledger.ts';

/** One rank of a running job's ring, persisted so a restarted coordinator still knows its gang. */
export interface AssignmentRow {
  readonly jobId: string;
  readonly rank: number;
  readonly workerId: string;
  readonly collectiveAddress: string;
  readonly ringGeneration: number;
}

interface JobRow {
  seq: number;
  job_id: string;
  spec_json: string;
  state: number;
  error_message: string;
  created_unix_ms: number;
  updated_unix_ms: number;
  progress_json: string;
  ring_generation: number;
  restarts: number;
  committed_step: number;
  committed_dir: string;
  status_message: string;
}

/** What elastic membership keeps of a job across coordinator restarts. */
export interface MembershipRow {
  readonly restarts: number;
  /** Newest checkpoint every rank's ledger covers (step 0, dir '': none yet). */
  readonly committedStep: number;
  readonly committedDir: string;
}

export const ACTIVE_STATES: readonly JobState[] = [
  JobState.JOB_STATE_PENDING,
  JobState.JOB_STATE_RUNNING,
  JobState.JOB_STATE_RESTARTING,
  JobState.JOB_STATE_WAITING_FOR_WORKERS,
];

// Columns added after the first schema; ALTER TABLE adds them to an older database.
const ADDED_COLUMNS = [
  'restarts INTEGER NOT NULL DEFAULT 0',
  'committed_step INTEGER NOT NULL DEFAULT 0',
  "committed_dir TEXT NOT NULL DEFAULT ''",
  "status_message TEXT NOT NULL DEFAULT ''",
  // The running job's ring secret (its pair keys derive from it), kept until the job finishes.
  'job_secret BLOB',
];

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    state INTEGER NOT NULL,
    error_message TEXT NOT NULL DEFAULT '',
    created_unix_ms INTEGER NOT NULL,
    updated_unix_ms INTEGER NOT NULL,
    progress_json TEXT NOT NULL,
    ring_generation INTEGER NOT NULL DEFAULT 0
  );
  -- A name is unique among the jobs that are not finished; a finished job's name can be reused.
  CREATE UNIQUE INDEX IF NOT EXISTS jobs_active_name ON jobs(name) WHERE state IN (${ACTIVE_STATES.join(', ')});
  CREATE TABLE IF NOT EXISTS assignments (
    job_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    collective_address TEXT NOT NULL,
    ring_generation INTEGER NOT NULL,
    PRIMARY KEY (job_id, rank)
  );
`;

/** Jobs and the ranks of running jobs in SQLite; survives a coordinator restart. Synchronous. */
export class JobStore {
  private readonly db: Database.Database;
  readonly ledger: SampleLedger;

  constructor(dbPath: string) {
    try {
      this.db = new Database(dbPath);
      this.db.pragma('journal_mode = WAL');
      this.db.exec(SCHEMA);
      this.db.exec(LEDGER_SCHEMA);
      const columns = new Set((this.db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name));
      for (const column of ADDED_COLUMNS) if (!columns.has(column.split(' ')[0]!)) this.db.exec(`ALTER TABLE jobs ADD COLUMN ${column}`);
      this.ledger = new SampleLedger(this.db);
    } catch (error) {
      throw new CoordinatorError('STORE_FAILED', `cannot open job database ${dbPath}: ${(error as Error).message}`);
    }
  }

  /** Inserts a new job; false when an unfinished job already has its name. */
  insertJob(job: Job): boolean {
    try {
      this.db
        .prepare(
          `INSERT INTO jobs (job_id, name, spec_json, state, error_message, created_unix_ms, updated_unix_ms, progress_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(job.jobId, job.spec?.name ?? '', specJson(job), job.state, job.errorMessage, job.createdUnixMs, job.updatedUnixMs, progressJson(job));
      return true;
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw error;
    }
  }

  updateJob(job: Job, ringGeneration: number): void {
    this.db
      .prepare('UPDATE jobs SET state = ?, error_message = ?, updated_unix_ms = ?, progress_json = ?, ring_generation = ?, status_message = ? WHERE job_id = ?')
      .run(job.state, job.errorMessage, job.updatedUnixMs, progressJson(job), ringGeneration, job.statusMessage ?? '', job.jobId);
  }

  updateMembership(jobId: string, membership: MembershipRow): void {
    this.db
      .prepare('UPDATE jobs SET restarts = ?, committed_step = ?, committed_dir = ? WHERE job_id = ?')
      .run(membership.restarts, membership.committedStep, membership.committedDir, jobId);
  }

  membership(jobId: string): MembershipRow {
    const row = this.db.prepare('SELECT restarts, committed_step, committed_dir FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
    return { restarts: row?.restarts ?? 0, committedStep: row?.committed_step ?? 0, committedDir: row?.committed_dir ?? '' };
  }

  /**
   * The job's ring secret, so a restarted coordinator hands a rank that had not fetched its
   * assignment yet the same pair keys as its neighbours already hold; undefined until drawn.
   */
  jobSecret(jobId: string): Buffer | undefined {
    const row = this.db.prepare('SELECT job_secret FROM jobs WHERE job_id = ?').get(jobId) as { job_secret: Buffer | null } | undefined;
    return row?.job_secret ?? undefined;
  }

  /** Stores the secret (null: forget it, once the job finished). */
  setJobSecret(jobId: string, secret: Buffer | null): void {
    this.db.prepare('UPDATE jobs SET job_secret = ? WHERE job_id = ?').run(secret, jobId);
  }

  getJob(jobId: string): Job | undefined {
    const row = this.db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
    return row === undefined ? undefined : toJob(row);
  }

  /** Jobs in submission order after the cursor `afterSeq`; the cursor of the last one returned. */
  listJobs(states: readonly JobState[], limit: number, afterSeq: number): { jobs: Job[]; lastSeq: number; hasMore: boolean } {
    const stateFilter = states.length > 0 ? `AND state IN (${states.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE seq > ? ${stateFilter} ORDER BY seq LIMIT ?`)
      .all(afterSeq, ...states, limit + 1) as JobRow[];
    const page = rows.slice(0, limit);
    return { jobs: page.map(toJob), lastSeq: page.at(-1)?.seq ?? afterSeq, hasMore: rows.length > limit };
  }

  /** Unfinished jobs in submission order, with the ring generation each last ran. */
  activeJobs(): { job: Job; ringGeneration: number }[] {
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE state IN (${ACTIVE_STATES.join(', ')}) ORDER BY seq`)
      .all() as JobRow[];
    return rows.map((row) => ({ job: toJob(row), ringGeneration: row.ring_generation }));
  }

  maxRingGeneration(): number {
    const row = this.db.prepare('SELECT MAX(ring_generation) AS g FROM jobs').get() as { g: number | null };
    return row.g ?? 0;
  }

  replaceAssignments(jobId: string, rows: readonly AssignmentRow[]): void {
    const remove = this.db.prepare('DELETE FROM assignments WHERE job_id = ?');
    const insert = this.db.prepare('INSERT INTO assignments (job_id, rank, worker_id, collective_address, ring_generation) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      remove.run(jobId);
      for (const row of rows) insert.run(row.jobId, row.rank, row.workerId, row.collectiveAddress, row.ringGeneration);
    })();
  }

  assignments(jobId: string): AssignmentRow[] {
    const rows = this.db.prepare('SELECT * FROM assignments WHERE job_id = ? ORDER BY rank').all(jobId) as {
      job_id: string;
      rank: number;
      worker_id: string;
      collective_address: string;
      ring_generation: number;
    }[];
    return rows.map((row) => ({
      jobId: row.job_id,
      rank: row.rank,
      workerId: row.worker_id,
      collectiveAddress: row.collective_address,
      ringGeneration: row.ring_generation,
    }));
  }

  close(): void {
    this.db.close();
  }
}

function specJson(job: Job): string {
  return JSON.stringify(JobSpec.toJSON(job.spec ?? JobSpec.fromPartial({})));
}

function progressJson(job: Job): string {
  return JSON.stringify(JobProgress.toJSON(job.progress ?? JobProgress.fromPartial({})));
}

function toJob(row: JobRow): Job {
  return {
    jobId: row.job_id,
    spec: JobSpec.fromJSON(JSON.parse(row.spec_json)),
    state: row.state as JobState,
    errorMessage: row.error_message,
    createdUnixMs: row.created_unix_ms,
    updatedUnixMs: row.updated_unix_ms,
    progress: JobProgress.fromJSON(JSON.parse(row.progress_json)),
    ...(row.status_message ? { statusMessage: row.status_message } : {}),
  };
}
