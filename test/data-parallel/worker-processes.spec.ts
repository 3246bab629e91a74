// Workers as real processes: one job end to end, and a worker killed mid-training.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCoordinatorClient, startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { GradientDtype, JobState } from '@tunefleet/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { writeJobFolder } from './job-folder.ts';
import { removeTempDirs, tempDir } from './support.ts';

const TOKEN = 'worker-process-token-0123456789abcdef';
const SCRIPT = fileURLToPath(new URL('./worker-process.mjs', import.meta.url));

let coordinator: RunningCoordinator | undefined;
const children: ChildProcess[] = [];
const clients: { close(): void }[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const client of clients.splice(0)) client.close();
  await coordinator?.stop();
  coordinator = undefined;
  await removeTempDirs();
});

function startWorker(workerId: string): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [SCRIPT, coordinator!.address, TOKEN, workerId], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exit };
}

// The success path gets a generous heartbeat deadline: a training step blocks a worker's event loop, and
// CI runs other test files beside this one on 2 cores. The kill test keeps a short one.
async function submit(epochs: number, collectiveTimeoutMs: number, heartbeatTimeoutMs: number, membership: { minWorkers?: number; minWorkersTimeoutMs?: number } = {}) {
  const root = await tempDir();
  const folder = await writeJobFolder(root);
  coordinator = await startCoordinator({ port: 0, dbPath: join(root, 'jobs.db'), token: TOKEN, heartbeatTimeoutMs, log: () => {} });
  const client = createCoordinatorClient(coordinator.address, TOKEN);
  clients.push(client);
  const outputDir = join(root, 'out');
  const job = await client.submitJob({
    name: 'dp-processes',
    modelNameOrPath: folder.modelDir,
    task: 'sequence-classification',
    trainFile: folder.trainFile,
    validationFile: '',
    worldSize: 2,
    trainingArgumentsJson: JSON.stringify({ output_dir: outputDir, per_device_train_batch_size: 4, num_train_epochs: epochs, logging_steps: 1, save_strategy: 'no' }),
    gradientDtype: GradientDtype.GRADIENT_DTYPE_BF16,
    collectiveTimeoutMs,
    ...membership,
  });
  return { client, job, outputDir };
}

describe('workers as processes', () => {
  it('two worker processes finish a bf16 job; exit 0; rank 0 wrote the model', async () => {
    const { client, job, outputDir } = await submit(1, 20_000, 30_000);
    const workers = [startWorker('p0'), startWorker('p1')];
    const final = await client.watchJob(job.jobId, () => {});
    const exits = await Promise.all(workers.map((w) => w.exit));
    expect(exits.map((e) => e.code), exits.map((e) => e.stderr).join('\n')).toEqual([0, 0]);
    expect(final.state, final.errorMessage).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(await readdir(outputDir)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'trainer_state.json']));
  });

  // With min_workers 2 the survivor alone cannot carry on (elastic membership would otherwise re-form
  // the ring with it: test/elastic): the job waits min_workers_timeout_ms, then FAILS naming the lost rank.
  it('a worker killed mid-training, below min_workers: the job FAILS naming the rank, the survivor exits non-zero', async () => {
    const { client, job } = await submit(500, 2_000, 3_000, { minWorkers: 2, minWorkersTimeoutMs: 2_000 });
    const workers = [startWorker('k0'), startWorker('k1')];
    let isKilled = false;
    const final = await client.watchJob(job.jobId, (progress) => {
      if (!isKilled && progress.globalStep >= 2) {
        isKilled = true;
        workers[1]!.child.kill('SIGKILL');
      }
    });
    const survivor = await workers[0]!.exit;
    expect(final.state).toBe(JobState.JOB_STATE_FAILED);
    // The survivor sees the dead right neighbour (PEER_UNAVAILABLE), a stalled collective, or the sweep notices the missing heartbeats.
    expect(final.errorMessage).toMatch(/rank [01] \(worker k[01] at 127\.0\.0\.1:\d+\) (failed: (PEER_UNAVAILABLE|COLLECTIVE_TIMEOUT)|missed heartbeats)/);
    expect(final.errorMessage).toMatch(/only 1 of min_workers 2 workers were available for 2000 ms \(min_workers_timeout_ms\)/);
    expect(survivor.code, survivor.stderr).not.toBe(0);
  });
});
