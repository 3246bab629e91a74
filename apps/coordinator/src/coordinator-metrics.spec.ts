import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TunefleetMetrics } from '@tunefleet/metrics';
import { JobProgress, JobState, ReportProgressRequest, type RegisterRequest } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinatorCore } from './coordinator-core.ts';
import { exportCoordinatorMetrics, jobStateLabel } from './coordinator-metrics.ts';
import { parseJobSpecYaml, validateJobSpec } from './job-spec.ts';
import { startCoordinator } from './server.ts';

function spec(name: string, worldSize: number) {
  const yaml = `name: ${name}\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: ${worldSize}\n` +
    'training_arguments:\n  output_dir: out\n  per_device_train_batch_size: 4\n  max_steps: 40\n';
  return validateJobSpec(parseJobSpecYaml(yaml, 'job.yaml'), 'test');
}

const worker = (id: string, port: number): RegisterRequest => ({ workerId: id, collectiveAddress: `127.0.0.1:${port}`, cpuCount: 2, memoryBytes: 1e9, backend: 'cpu' });

function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('exportCoordinatorMetrics', () => {
  let dir: string;
  let core: CoordinatorCore;
  let nowMs: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordinator-metrics-'));
    nowMs = 1_000_000;
    core = new CoordinatorCore(join(dir, 'jobs.db'), { heartbeatTimeoutMs: 60_000, now: () => nowMs });
  });
  afterEach(() => {
    core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names job states as the label values', () => {
    expect(jobStateLabel(JobState.JOB_STATE_WAITING_FOR_WORKERS)).toBe('waiting_for_workers');
    expect(jobStateLabel(JobState.JOB_STATE_PENDING)).toBe('pending');
    expect(jobStateLabel(JobState.JOB_STATE_UNSPECIFIED)).toBeUndefined();
  });

  it('exports jobs and workers by state, rank 0 progress and ETA, and finished jobs', async () => {
    const metrics = new TunefleetMetrics({ defaultMetrics: false });
    exportCoordinatorMetrics(core, metrics);
    const job = core.submitJob(spec('a', 2));
    core.register(worker('w0', 5000));
    let text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_jobs{state="pending"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_workers{state="idle"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_workers{state="busy"}')).toBe(0);
    expect(valueOf(text, `tunefleet_worker_restarts_total{job="${job.jobId}"}`)).toBe(0);

    core.register(worker('w1', 5001));
    const assignments = ['w0', 'w1'].map((id) => ({ id, assignment: core.heartbeat({ workerId: id, ringGeneration: 0 }).assignment! }));
    const rankZero = assignments.find((a) => a.assignment.rank === 0)!;
    core.reportProgress(
      ReportProgressRequest.fromPartial({
        workerId: rankZero.id,
        ringGeneration: rankZero.assignment.ringGeneration,
        progress: JobProgress.fromPartial({ globalStep: 10, maxSteps: 40, percentDone: 25, etaSeconds: 90 }),
      }),
    );
    text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_jobs{state="pending"}')).toBe(0);
    expect(valueOf(text, 'tunefleet_jobs{state="running"}')).toBe(1);
    expect(valueOf(text, 'tunefleet_workers{state="busy"}')).toBe(2);
    expect(valueOf(text, `tunefleet_job_progress_ratio{job="${job.jobId}"}`)).toBe(0.25);
    expect(valueOf(text, `tunefleet_job_eta_seconds{job="${job.jobId}"}`)).toBe(90);

    core.cancelJob(job.jobId);
    text = await metrics.exposition();
    expect(valueOf(text, 'tunefleet_jobs{state="running"}')).toBe(0);
    expect(valueOf(text, 'tunefleet_jobs{state="cancelled"}')).toBe(1);
    expect(valueOf(text, `tunefleet_job_progress_ratio{job="${job.jobId}"}`)).toBeUndefined();
  });
});

describe('startCoordinator({ metrics })', () => {
  it('serves /metrics on 127.0.0.1, logs where, and closes it on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coordinator-metrics-'));
    const lines: string[] = [];
    const coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: 'x'.repeat(32), metrics: { port: 0 }, log: (line) => lines.push(line) });
    try {
      const address = coordinator.metrics!.address;
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(lines).toContain(`coordinator: serving Prometheus metrics on http://${address}/metrics`);
      const text = await (await fetch(`http://${address}/metrics`)).text();
      expect(valueOf(text, 'tunefleet_jobs{state="pending"}')).toBe(0);
      expect(text).toContain('process_cpu_seconds_total');
    } finally {
      await coordinator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(fetch(`http://${coordinator.metrics!.address}/metrics`)).rejects.toThrow();
  });
});
