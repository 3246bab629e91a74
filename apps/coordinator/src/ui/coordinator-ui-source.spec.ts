import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobProgress, JobState } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinatorCore } from '../coordinator-core.ts';
import { parseJobSpecYaml, validateJobSpec } from '../job-spec.ts';
import { CoordinatorUiSource } from './coordinator-ui-source.ts';

const yaml =
  'name: live\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: 2\n' +
  'training_arguments:\n  output_dir: out\n  per_device_train_batch_size: 4\n';
const register = (core: CoordinatorCore, id: string, port: number) =>
  core.register({ workerId: id, collectiveAddress: `127.0.0.1:${port}`, cpuCount: 1, memoryBytes: 1e9, backend: 'cpu' });

describe('CoordinatorUiSource', () => {
  let dir: string;
  let core: CoordinatorCore;
  let source: CoordinatorUiSource;
  let changes: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordinator-ui-'));
    core = new CoordinatorCore(join(dir, 'jobs.db'), { heartbeatTimeoutMs: 60_000 });
    source = new CoordinatorUiSource(core);
    changes = 0;
    source.subscribe(() => (changes += 1));
  });
  afterEach(() => {
    source.close();
    core.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = (workerId: string, generation: number, step: number, extra: Partial<JobProgress> = {}) =>
    core.reportProgress({
      workerId, ringGeneration: generation, errorCode: '', errorMessage: '', isErrorRetryable: false, samples: [], suspectRanks: [],
      progress: JobProgress.fromPartial({ state: JobState.JOB_STATE_RUNNING, globalStep: step, maxSteps: 10, loss: 0.5, ...extra }),
    } as Parameters<CoordinatorCore['reportProgress']>[0]);

  it('follows a job from submission through every rank report to SUCCEEDED', () => {
    const job = core.submitJob(validateJobSpec(parseJobSpecYaml(yaml, 'job.yaml'), 'test'));
    expect(source.jobs().map((j) => [j.name, j.state])).toEqual([['live', 'PENDING']]);
    register(core, 'w0', 5000);
    register(core, 'w1', 5001);
    expect(source.jobs()[0].state).toBe('RUNNING');
    const generation = core.heartbeat({ workerId: 'w0', ringGeneration: 0 }).assignment!.ringGeneration;

    report('w0', generation, 2, { stepSeconds: 0.5, allreduceMs: 100, logEntryJson: JSON.stringify({ loss: 0.6, learning_rate: 1e-3, step: 2 }) });
    report('w1', generation, 2, { stepSeconds: 0.8, allreduceMs: 300 });
    // A periodic update repeats rank 0's last entry: it is taken once.
    report('w0', generation, 3, { stepSeconds: 0.5, allreduceMs: 150, logEntryJson: JSON.stringify({ loss: 0.6, learning_rate: 1e-3, step: 2 }) });
    report('w0', generation, 4, { stepSeconds: 0.5, allreduceMs: 200, logEntryJson: 'not json' });

    const [view] = source.jobs();
    expect(view.globalStep).toBe(4);
    expect(view.logHistory).toEqual([{ loss: 0.6, learning_rate: 1e-3, step: 2 }]);
    expect(view.ranks).toEqual([
      { rank: 0, workerId: 'w0', globalStep: 4, stepSeconds: 0.5, allreduceMs: 200 },
      { rank: 1, workerId: 'w1', globalStep: 2, stepSeconds: 0.8, allreduceMs: 300 },
    ]);
    expect(changes).toBeGreaterThanOrEqual(6);

    report('w0', generation, 10, { state: JobState.JOB_STATE_SUCCEEDED, stepSeconds: 0.5, allreduceMs: 400 });
    expect(core.getJob(job.jobId).state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(source.jobs()[0].state).toBe('SUCCEEDED');
    expect(source.jobs()[0].ranks.map((r) => r.globalStep)).toEqual([10, 2]);
  });
});
