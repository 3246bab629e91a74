// A worker that registers during a job joins it at the next committed checkpoint (issue 10, part 1):
// a 2-worker job with max_workers 3 grows to 3 ranks, the global batch stays what was asked (the
// steps per epoch do not change), the log says how each global micro-batch is sliced, and the
// sample ledger holds every training row of every epoch exactly once.
import { join } from 'node:path';
import { JobState, type Job } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { allEpochs, chaosSpec, checkLedgerFile, pollJob, readJson, startHarness, waitForLine, type ElasticHarness } from './elastic-cluster.ts';

let harness: ElasticHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a worker joining a running job', () => {
  it('joins at the next checkpoint; global batch unchanged; every sample once per epoch', async () => {
    const h = (harness = await startHarness(64));
    const epochs = 6;
    const job = { workers: 2, perDeviceBatch: 4, epochs, saveSteps: 4, collectiveTimeoutMs: 10_000 };
    const spec = { ...chaosSpec('join', job, h.fixture, join(h.dir, 'out')), maxWorkers: 3 };
    const workers = [h.cluster.startWorker(), h.cluster.startWorker()];
    for (const w of workers) await waitForLine(w, /registered as/, 120_000);
    // The third registers after the gang's two, so the 2-rank gang forms without it and it waits
    // idle (as one that registers mid-job does) until the first committed checkpoint. Registering it
    // before the submit keeps the test independent of how fast the machine trains.
    const third = h.cluster.startWorker();
    await waitForLine(third, /registered as/, 120_000);
    const submitted = await h.client.submitJob(spec);
    const seen: Job[] = [];
    const final = await pollJob(h.client, submitted.jobId, (j) => j.state === JobState.JOB_STATE_SUCCEEDED || j.state === JobState.JOB_STATE_FAILED, 300_000, seen);
    expect(final.state, final.errorMessage).toBe(JobState.JOB_STATE_SUCCEEDED);
    const messages = seen.map((j) => j.statusMessage ?? '');
    expect(messages.some((m) => /worker chaos-w2 at 127\.0\.0\.1:\d+ registered during the job; the ring grows from 2 to 3 ranks at checkpoint step \d+/.test(m)), [...h.cluster.coordinator!.lines, ...third.lines].join('\n')).toBe(true);
    expect(final.progress!.ranks.map((r) => r.workerId).sort()).toEqual(['chaos-w0', 'chaos-w1', 'chaos-w2']);
    // 64 rows / global batch 8 = 8 steps per epoch on 2 ranks and on 3.
    expect((await readJson(join(h.dir, 'out', 'trainer_state.json')))['global_step']).toBe(48);
    expect(third.lines.join('\n')).toMatch(/3 ranks share each global micro-batch of 8 examples \(per_device_train_batch_size 4 x world_size 2\): this rank takes 2-3/);
    // Every rank's final report has landed once it exited: only then is the ledger complete.
    for (const w of [...workers, third]) expect((await w.exited).code, w.lines.slice(-20).join('\n')).toBe(0);
    const ledger = checkLedgerFile(h.cluster.dbPath, submitted.jobId, 64, allEpochs(epochs));
    expect(ledger.incompleteSteps).toEqual([]);
    expect(ledger.epochs).toEqual([0, 1, 2, 3, 4, 5].map((epoch) => ({ epoch, samples: 64, duplicated: 0, missing: 0 })));
  }, 400_000);
});
