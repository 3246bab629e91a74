// A worker stopped with SIGSTOP and never continued (issue 10, part 1): a 3-worker job with
// min_workers 2 loses one rank to SIGSTOP after its first checkpoint. The two survivors re-form the
// ring from the last committed checkpoint and finish: SUCCEEDED with global_step = max_steps, the
// coordinator's log names the stopped rank by its collective address, and (once the survivors
// exited, so every final report landed) the sample ledger holds every row of every epoch once.
// The stopped process is never resumed: teardown SIGKILLs it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { JobState, type Job } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { allEpochs, chaosSpec, checkLedgerFile, collectiveAddressOf, isAlive, isStopped, pollJob, readJson, startHarness, type ClusterProcess, type ElasticHarness } from './elastic-cluster.ts';

const ROWS = 72;
const EPOCHS = 3;
// 72 rows / (3 workers x 4) = 6 steps per epoch, 18 in all; a checkpoint every 3 steps.
const JOB = { workers: 3, perDeviceBatch: 4, epochs: EPOCHS, saveSteps: 3, collectiveTimeoutMs: 4_000 };
const MAX_STEPS = 18;

let harness: ElasticHarness | undefined;
let stopped: ClusterProcess | undefined;

afterEach(async () => {
  // The stopped worker is never continued: SIGKILL ends a stopped process as it is.
  if (stopped !== undefined && isAlive(stopped.pid)) process.kill(stopped.pid, 'SIGKILL');
  stopped = undefined;
  await harness?.close();
  harness = undefined;
});

describe('a worker stopped for good (SIGSTOP, never SIGCONT)', () => {
  it('the 2 survivors re-form from the last checkpoint and finish; the stopped rank is named by address; every sample once per epoch', async () => {
    const h = (harness = await startHarness(ROWS));
    const outputDir = join(h.dir, 'out');
    const spec = { ...chaosSpec('stopped', JOB, h.fixture, outputDir), minWorkers: 2, minWorkersTimeoutMs: 60_000 };
    const workers = [h.cluster.startWorker(), h.cluster.startWorker(), h.cluster.startWorker()];
    const submitted = await h.client.submitJob(spec);
    await pollJob(h.client, submitted.jobId, () => existsSync(join(outputDir, 'checkpoint-3', 'trainer_state.json')), 180_000);
    await pollJob(h.client, submitted.jobId, (j) => j.state === JobState.JOB_STATE_RUNNING && (j.progress?.globalStep ?? 0) >= 4, 180_000);
    // Rank 0, the writer of checkpoints and of the model: the re-formed ring's rank 0 takes over.
    const victim = (stopped = workers.find((w) => w.lines.some((line) => / rank 0 of 3,/.test(line)))!);
    const address = collectiveAddressOf(victim)!;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    process.kill(victim.pid, 'SIGSTOP');

    const seen: Job[] = [];
    const final = await pollJob(h.client, submitted.jobId, (j) => j.state === JobState.JOB_STATE_SUCCEEDED || j.state === JobState.JOB_STATE_FAILED, 240_000, seen);
    const logs = (): string => [...h.cluster.coordinator!.lines, ...workers.flatMap((w) => w.lines.slice(-40).map((l) => `${w.name}: ${l}`))].join('\n');
    expect(final.state, `${final.errorMessage}\n${logs()}`).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(final.progress?.globalStep).toBe(MAX_STEPS);
    expect(final.progress?.restarts).toBeGreaterThanOrEqual(1);
    expect((await readJson(join(outputDir, 'trainer_state.json')))['global_step']).toBe(MAX_STEPS);
    expect(existsSync(join(outputDir, 'model.safetensors'))).toBe(true);
    // The coordinator's log names the stopped rank by the collective address it registered.
    expect(h.cluster.coordinator!.lines.join('\n')).toContain(`(worker ${victim.name.replace('worker', 'chaos-w')} at ${address})`);
    // The survivors finished on a 2-rank ring that resumed from a committed checkpoint.
    expect(seen.some((j) => /re-formed on 2 of world_size 3 ranks from \S+checkpoint-\d+ \(step \d+\)/.test(j.statusMessage ?? '')), logs()).toBe(true);
    const survivors = workers.filter((w) => w !== victim);
    expect(final.progress!.ranks.map((r) => r.workerId).sort()).toEqual(survivors.map((w) => w.name.replace('worker', 'chaos-w')));

    // Every survivor's final report has landed once it exited: only then is the ledger complete.
    for (const w of survivors) expect((await w.exited).code, w.lines.slice(-30).join('\n')).toBe(0);
    expect(isStopped(victim.pid)).toBe(true);
    const ledger = checkLedgerFile(h.cluster.dbPath, submitted.jobId, ROWS, allEpochs(EPOCHS));
    expect(ledger.incompleteSteps).toEqual([]);
    expect(ledger.steps).toBe(MAX_STEPS);
    expect(ledger.epochs).toEqual([0, 1, 2].map((epoch) => ({ epoch, samples: ROWS, duplicated: 0, missing: 0 })));

    // Teardown (in-test, so it is asserted): the stopped process is SIGKILLed without being continued.
    process.kill(victim.pid, 'SIGKILL');
    stopped = undefined;
    expect((await victim.exited).signal).toBe('SIGKILL');
  }, 400_000);
});
