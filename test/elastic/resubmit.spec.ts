// Failure 4 of issue 10: a job submitted right after the previous one ended is assigned only to
// live workers and starts: not to the workers that exited with the last job, nor to an idle one
// killed by kill -9 (it never deregistered), which would hold the job until the 60 s heartbeat deadline.
import { JobState } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { chaosSpec, pollJob, sleep, startHarness, waitForLine, type ElasticHarness } from './elastic-cluster.ts';

let harness: ElasticHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a job submitted right after the previous one', () => {
  it('runs on the live workers only and succeeds', async () => {
    const h = (harness = await startHarness(32));
    const job = { workers: 2, perDeviceBatch: 4, epochs: 1, saveSteps: 100, collectiveTimeoutMs: 10_000 };
    const first = [h.cluster.startWorker(), h.cluster.startWorker()];
    for (const w of first) await waitForLine(w, /registered as/, 120_000);
    // An idle spare that dies without deregistering (kill -9), registered before the next job's workers.
    const spare = h.cluster.startWorker();
    await waitForLine(spare, /registered as/, 120_000);
    process.kill(spare.pid, 'SIGKILL');
    const a = await h.client.submitJob(chaosSpec('first', job, h.fixture, `${h.dir}/out-a`));
    const doneA = await pollJob(h.client, a.jobId, (j) => j.state === JobState.JOB_STATE_SUCCEEDED || j.state === JobState.JOB_STATE_FAILED, 180_000);
    expect(doneA.state, doneA.errorMessage).toBe(JobState.JOB_STATE_SUCCEEDED);
    for (const w of first) await w.exited;
    const next = [h.cluster.startWorker(), h.cluster.startWorker()];
    const b = await h.client.submitJob(chaosSpec('second', job, h.fixture, `${h.dir}/out-b`));
    const running = await pollJob(h.client, b.jobId, (j) => j.state !== JobState.JOB_STATE_PENDING, 120_000);
    expect(running.state, running.errorMessage).toBe(JobState.JOB_STATE_RUNNING);
    const doneB = await pollJob(h.client, b.jobId, (j) => j.state === JobState.JOB_STATE_SUCCEEDED || j.state === JobState.JOB_STATE_FAILED, 180_000);
    expect(doneB.state, doneB.errorMessage).toBe(JobState.JOB_STATE_SUCCEEDED);
    // Its ranks were the two new workers (chaos-w3, chaos-w4), never chaos-w0/w1 (gone) or chaos-w2 (killed).
    expect(doneB.progress!.ranks.map((r) => r.workerId).sort()).toEqual(['chaos-w3', 'chaos-w4']);
    expect(doneB.progress?.restarts ?? 0).toBe(0);
    await Promise.all(next.map((w) => w.exited));
    await sleep(0);
  }, 400_000);
});
