import type { Job } from '@tunefleet/proto';
import type { JobView, LogEntry } from '@tunefleet/report';
import type { CoordinatorCore } from '../coordinator-core.ts';
import { jobToView } from './job-view.ts';
import type { UiSource } from './ui-server.ts';

// The page lists this many jobs (newest first); older ones stay in `tunefleet status`.
const MAX_JOBS = 50;
// Enough for 100k steps at logging_steps 10; beyond it every other point is dropped.
const MAX_ENTRIES_PER_JOB = 10_000;

interface Tracked {
  job: Job;
  history: LogEntry[];
  lastEntryJson: string;
}

/**
 * The coordinator's jobs for the live page. The curves are the log entries rank 0 reports
 * (`log_entry_json`), gathered from the moment this source starts; a restarted coordinator shows
 * its jobs' state and progress at once and their curves from then on.
 */
export class CoordinatorUiSource implements UiSource {
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(core: CoordinatorCore) {
    for (const job of core.listJobs([], MAX_JOBS, '').jobs) this.track(job);
    this.unsubscribe = core.onJobChange((job) => {
      this.track(job);
      for (const listener of this.listeners) listener();
    });
  }

  jobs(): readonly JobView[] {
    return [...this.tracked.values()]
      .sort((a, b) => b.job.createdUnixMs - a.job.createdUnixMs)
      .map((t) => jobToView(t.job, t.history));
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private track(job: Job): void {
    const tracked = this.tracked.get(job.jobId) ?? { job, history: [], lastEntryJson: '' };
    tracked.job = job;
    const entryJson = job.progress?.logEntryJson ?? '';
    // A progress update repeats the last entry until the next one: take each once.
    if (entryJson !== '' && entryJson !== tracked.lastEntryJson) {
      tracked.lastEntryJson = entryJson;
      const entry = parseEntry(entryJson);
      if (entry !== undefined) tracked.history.push(entry);
      if (tracked.history.length > MAX_ENTRIES_PER_JOB) tracked.history = tracked.history.filter((_, i) => i % 2 === 0);
    }
    this.tracked.set(job.jobId, tracked);
    if (this.tracked.size > MAX_JOBS) {
      const oldest = [...this.tracked.values()].sort((a, b) => a.job.createdUnixMs - b.job.createdUnixMs)[0];
      this.tracked.delete(oldest.job.jobId);
    }
  }
}

/** A worker's log entry; one that is not a JSON object is left off the curves rather than failing the report. */
function parseEntry(json: string): LogEntry | undefined {
  try {
    const entry: unknown = JSON.parse(json);
    return typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as LogEntry) : undefined;
  } catch {
    return undefined;
  }
}
