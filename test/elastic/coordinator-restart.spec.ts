// Failure 8 of issue 10: `tunefleet submit --watch` follows a job through a coordinator restart
// (kill -9, then the same --db and port), the job completes, and its sample ledger holds every
// training row of every epoch exactly once. Real processes; everything is killed in afterEach.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { JobState } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { allEpochs, checkLedgerFile, pollJob, readJson, startHarness, type ElasticHarness } from './elastic-cluster.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
let harness: ElasticHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('a coordinator restart during a job', () => {
  it('submit --watch reconnects and follows the job to SUCCEEDED; the ring goes on; every sample once per epoch', async () => {
    const h = (harness = await startHarness(64));
    const outputDir = join(h.dir, 'out');
    const epochs = 3;
    // 64 rows / (2 workers x 4) = 8 steps per epoch, 24 in all.
    const jobFile = join(h.dir, 'job.yaml');
    await writeFile(
      jobFile,
      JSON.stringify({
        name: 'restart',
        model_name_or_path: h.fixture.modelDir,
        task: 'sequence-classification',
        train_file: h.fixture.trainFile,
        max_seq_length: 16,
        world_size: 2,
        collective_timeout_ms: 10_000,
        training_arguments: { output_dir: outputDir, per_device_train_batch_size: 4, num_train_epochs: epochs, logging_steps: 1, save_strategy: 'steps', save_steps: 4, seed: 7 },
      }),
    );
    const workers = [h.cluster.startWorker(), h.cluster.startWorker()];
    const submit = spawn(process.execPath, [BIN, 'submit', jobFile, '--coordinator', h.cluster.address, '--token', h.token, '--watch'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    submit.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    submit.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const submitExit = new Promise<number | null>((done) => submit.once('exit', (code) => done(code)));
    try {
      await pollJobId(() => stdout, 60_000);
      const jobId = (JSON.parse(stdout.slice(0, stdout.indexOf('\n}') + 2)) as { jobId: string }).jobId;
      await pollJob(h.client, jobId, (job) => job.state === JobState.JOB_STATE_RUNNING && (job.progress?.globalStep ?? 0) >= 3, 120_000);
      await h.cluster.restartCoordinator(1_000);
      expect(await submitExit, stderr).toBe(0);
      expect(stderr).toMatch(/lost the coordinator \(.*UNAVAILABLE.*\); watching \S+ again in \d+ ms/);
      const final = JSON.parse(stdout.slice(stdout.indexOf('\n}') + 2)) as { state: string; progress: { globalStep: number; restarts?: number } };
      expect(final.state).toBe('JOB_STATE_SUCCEEDED');
      expect(final.progress.globalStep).toBe(24);
      // The running ring went on through the restart: no re-formation.
      expect(final.progress.restarts ?? 0).toBe(0);
      expect((await readJson(join(outputDir, 'trainer_state.json')))['global_step']).toBe(24);
      // Rank 0's final report finishes the job; another rank's final report (retried through the
      // restart) completes the ledger, and the rank exits once it landed.
      for (const w of workers) expect((await w.exited).code, w.lines.slice(-30).join('\n')).toBe(0);
      const ledger = checkLedgerFile(h.cluster.dbPath, jobId, 64, allEpochs(epochs));
      expect(ledger.incompleteSteps).toEqual([]);
      expect(ledger.steps).toBe(24);
      expect(ledger.epochs).toEqual([0, 1, 2].map((epoch) => ({ epoch, samples: 64, duplicated: 0, missing: 0 })));
    } finally {
      if (submit.exitCode === null) submit.kill('SIGKILL');
    }
  }, 300_000);
});

async function pollJobId(stdout: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!stdout().includes('\n}')) {
    if (Date.now() > deadline) throw new Error(`submit printed no job within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
