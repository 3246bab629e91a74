// How workers end when things go wrong: a wrong token, a job whose inputs are missing, a cancelled job.
import { join } from 'node:path';
import { createCoordinatorClient, startCoordinator, type RunningCoordinator } from '@tunefleet/coordinator';
import { GradientDtype, JobState, type JobSpec } from '@tunefleet/proto';
import { runWorker, WORKER_EXIT_CODES, type WorkerResult } from '@tunefleet/worker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from './job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from './support.ts';

beforeAll(useCpu);

const TOKEN = 'worker-failure-token-0123456789abcdef';
let coordinator: RunningCoordinator | undefined;
const clients: { close(): void }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await coordinator?.stop();
  coordinator = undefined;
  await removeTempDirs();
});

async function setUp(): Promise<{ root: string; folder: JobFolder; client: ReturnType<typeof createCoordinatorClient> }> {
  const root = await tempDir();
  const folder = await writeJobFolder(root);
  coordinator = await startCoordinator({ port: 0, dbPath: join(root, 'jobs.db'), token: TOKEN, heartbeatTimeoutMs: 3_000, log: () => {} });
  const client = createCoordinatorClient(coordinator.address, TOKEN);
  clients.push(client);
  return { root, folder, client };
}

function jobSpec(folder: JobFolder, outputDir: string, extra: Partial<JobSpec> = {}, args: Record<string, unknown> = {}): JobSpec {
  return {
    name: 'dp-failure',
    modelNameOrPath: folder.modelDir,
    task: 'sequence-classification',
    trainFile: folder.trainFile,
    validationFile: '',
    worldSize: 2,
    trainingArgumentsJson: JSON.stringify({ output_dir: outputDir, per_device_train_batch_size: 4, save_strategy: 'no', logging_steps: 1, ...args }),
    gradientDtype: GradientDtype.GRADIENT_DTYPE_F32,
    collectiveTimeoutMs: 20_000,
    ...extra,
  };
}

function startWorkers(count: number, lines: string[], token = TOKEN): Promise<WorkerResult>[] {
  return Array.from({ length: count }, (_, i) =>
    runWorker({ coordinator: coordinator!.address, token, workerId: `w${i}`, backend: 'cpu', connectTimeoutMs: 2_000, log: (l) => lines.push(`w${i}: ${l}`) }),
  );
}

describe('worker failures', () => {
  it('a wrong token: exit 1 naming UNAUTHENTICATED, nothing left running', async () => {
    await setUp();
    const [result] = await Promise.all(startWorkers(1, [], 'not-the-cluster-token-at-all'));
    expect(result!.exitCode).toBe(WORKER_EXIT_CODES.failed);
    expect(result!.reason).toMatch(/^COORDINATOR_REJECTED: Register .*UNAUTHENTICATED.*check --token/);
  });

  it('an unreachable coordinator: exit 1 with COORDINATOR_UNREACHABLE after the connect timeout', async () => {
    const result = await runWorker({ coordinator: '127.0.0.1:1', token: TOKEN, backend: 'cpu', connectTimeoutMs: 600, log: () => {} });
    expect(result.exitCode).toBe(WORKER_EXIT_CODES.failed);
    expect(result.reason).toMatch(/^COORDINATOR_UNREACHABLE: Register to coordinator 127\.0\.0\.1:1/);
  });

  it('a model path that does not exist: both ranks exit 1 and the job FAILS with the reason', async () => {
    const { root, folder, client } = await setUp();
    const lines: string[] = [];
    const workers = startWorkers(2, lines);
    const job = await client.submitJob(jobSpec(folder, join(root, 'out'), { modelNameOrPath: join(root, 'no-such-model') }));
    const final = await client.watchJob(job.jobId, () => {});
    const results = await Promise.all(workers);
    expect(results.map((r) => r.exitCode), lines.join('\n')).toEqual([1, 1]);
    expect(final.state).toBe(JobState.JOB_STATE_FAILED);
    expect(final.errorMessage).toMatch(/rank \d \(worker w\d at 127\.0\.0\.1:\d+\) failed: TOKENIZER_NOT_FOUND: .*no-such-model/);
  });

  it('a job cancelled mid-training: both ranks leave the ring and exit 3', async () => {
    const { root, folder, client } = await setUp();
    const lines: string[] = [];
    const workers = startWorkers(2, lines);
    const job = await client.submitJob(jobSpec(folder, join(root, 'out'), {}, { num_train_epochs: 200 }));
    let isCancelled = false;
    const final = await client.watchJob(job.jobId, (progress) => {
      if (!isCancelled && progress.globalStep >= 2) {
        isCancelled = true;
        void client.cancelJob(job.jobId);
      }
    });
    const results = await Promise.all(workers);
    expect(final.state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(results.map((r) => r.exitCode), lines.join('\n')).toEqual([WORKER_EXIT_CODES.stopped, WORKER_EXIT_CODES.stopped]);
    expect(final.progress!.globalStep).toBeLessThan(final.progress!.maxSteps);
  });
});
