// Failure 7 of issue 10 (a cancelled job left a full model and all_results.json, like a finished
// one), through the CLI against real processes: `tunefleet coordinator`, two `tunefleet worker`s,
// `tunefleet submit` and `tunefleet cancel`, on 127.0.0.1:0.
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCoordinatorClient } from '@tunefleet/coordinator';
import { JobState } from '@tunefleet/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';
import { killAll, readJson, start, tunefleet, waitForOutput } from '../support/cli.ts';

const TOKEN = 'integrity-cancel-token-0123456789abcdef';
let root: string;
let folder: JobFolder;
beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root);
});
afterEach(killAll);
afterAll(removeTempDirs);

describe('a cancelled cluster job', () => {
  it('leaves no all_results.json or final model; trainer_state.json says cancelled at step N', async () => {
    const coordinator = start(['coordinator', '--port', '0', '--db', join(root, 'jobs.db'), '--token', TOKEN]);
    const address = (await waitForOutput(coordinator, /listening on (127\.0\.0\.1:\d+)/, 60_000))[1]!;
    const cluster = ['--coordinator', address, '--token', TOKEN];
    const workers = [0, 1].map((i) => start(['worker', ...cluster, '--worker-id', `w${i}`, '--backend', 'cpu']));
    const out = join(root, 'out');
    const jobFile = join(root, 'job.yaml');
    await writeFile(
      jobFile,
      [
        'name: cancel-me',
        `model_name_or_path: ${folder.modelDir}`,
        'task: sequence-classification',
        `train_file: ${folder.trainFile}`,
        'text_column: sentence',
        'max_seq_length: 16',
        'world_size: 2',
        'training_arguments:',
        `  output_dir: ${out}`,
        '  per_device_train_batch_size: 4',
        '  num_train_epochs: 200',
        '  logging_steps: 1',
        '  save_strategy: "no"',
      ].join('\n'),
    );
    const submitted = await tunefleet(['submit', jobFile, ...cluster]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = JSON.parse(submitted.stdout).jobId as string;

    const client = createCoordinatorClient(address, TOKEN);
    try {
      const deadline = Date.now() + 120_000;
      while (((await client.getJob(jobId)).progress?.globalStep ?? 0) < 3) {
        if (Date.now() > deadline) throw new Error(`job ${jobId} did not reach step 3:\n${workers.map((w) => w.stderr).join('\n')}`);
        await new Promise((done) => setTimeout(done, 200));
      }
      const cancelled = await tunefleet(['cancel', jobId, ...cluster]);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      const codes = await Promise.all(workers.map((w) => w.exited));
      expect(codes, workers.map((w) => w.stderr).join('\n')).toEqual([3, 3]); // WORKER_EXIT_CODES.stopped
      const job = await client.getJob(jobId);
      expect(job.state).toBe(JobState.JOB_STATE_CANCELLED);
    } finally {
      client.close();
    }

    const files = await readdir(out);
    for (const name of ['all_results.json', 'train_results.json', 'eval_results.json', 'model.safetensors']) expect(files).not.toContain(name);
    const state = await readJson(join(out, 'trainer_state.json'));
    expect(state.status).toBe('cancelled');
    expect(state.stopped_at_step).toBeGreaterThanOrEqual(3);
    expect(state.stopped_at_step).toBeLessThan(state.max_steps);
    expect(state.global_step).toBe(state.stopped_at_step);
  }, 240_000);
});
