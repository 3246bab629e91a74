// `npm run chaos` in a reduced form (tools/chaos): 3 trials of a 3-worker job with random faults
// (kill -9 of a worker or of the coordinator, SIGSTOP past the collective deadline). Every job
// completes, and the sample ledger shows no training row lost or duplicated in any epoch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeChaosFixture } from '../tools/chaos/chaos-fixture.ts';
import { runChaos, summarize } from '../tools/chaos/chaos-run.ts';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'tunefleet-chaos-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('chaos (reduced)', () => {
  it('3 trials: every job completes, 0 samples lost or duplicated per epoch', async () => {
    const fixture = await writeChaosFixture(dir, 48);
    const lines: string[] = [];
    const summary = await runChaos({ trials: 3, seed: 11, faults: 1, fixture, dir, trialTimeoutMs: 240_000, log: (line) => lines.push(line) });
    const report = [...lines, ...summarize(summary)].join('\n');
    expect(summary.trials.flatMap((t) => t.faults).length, report).toBeGreaterThan(0);
    expect(summary.completed, report).toBe(3);
    expect(summary.lostByEpoch.every((n) => n === 0) && summary.duplicatedByEpoch.every((n) => n === 0), report).toBe(true);
    expect(summary.incompleteLedgers, report).toBe(0);
    expect(summary.isClean, report).toBe(true);
  }, 900_000);
});
