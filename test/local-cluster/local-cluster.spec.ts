// `tunefleet train --workers N`: an embedded coordinator and N `tunefleet worker` OS processes.
// Real processes on 127.0.0.1:0; every CLI and worker process is killed in afterEach whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readSafetensors } from '@tunefleet/model';
import { nativeSharedMemory } from '@tunefleet/native-kernels';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';
import { allowedCores } from '../../apps/cli/src/cluster/worker-processes.ts';
import { isAlive, waitUntil } from './processes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const WORKER_PID = /started worker (\d+) of (\d+) \(pid (\d+)[,)]/;

interface CliRun {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: string;
  stderr: string;
  /** Worker pids the CLI announced (JSON message lines on stdout). */
  workerPids(): number[];
}

const started: CliRun[] = [];

function tunefleet(args: string[]): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: CliRun = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done({ code, signal }))),
    workerPids: () =>
      run.stdout
        .split('\n')
        .flatMap((line) => (WORKER_PID.exec(line) ? [Number(WORKER_PID.exec(line)![3])] : [])),
  };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  started.push(run);
  return run;
}

function events(run: CliRun): Record<string, any>[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

let folder: JobFolder;
let root: string;
let config: string;

beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root);
  // Non-default columns and truncation: the workers read the file only if the job carries them.
  for (const file of [folder.trainFile, folder.devFile]) {
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(/^sentence\tlabel\n/, 'review\tsentiment\n'));
  }
  config = join(root, 'run.yaml');
  await writeFile(
    config,
    [
      `model: ${folder.modelDir}`,
      `train_file: ${folder.trainFile}`,
      `validation_file: ${folder.devFile}`,
      'text_column: review',
      'label_column: sentiment',
      'max_seq_length: 6', // shorter than most rows: the result depends on it
      'backend: cpu',
      'per_device_train_batch_size: 4',
      'logging_steps: 2',
      'learning_rate: 0.005', // large enough that a different input (e.g. truncation) shows in the losses
      'save_strategy: epoch',
    ].join('\n'),
  );
});

afterEach(async () => {
  for (const run of started.splice(0)) {
    const pids = run.workerPids();
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}, 10_000);

afterAll(removeTempDirs);

async function expectNoWorkerLeft(run: CliRun, count: number): Promise<void> {
  const pids = run.workerPids();
  expect(pids).toHaveLength(count);
  // The CLI waited for them before exiting; allow the kernel a moment to finish reaping.
  await waitUntil(() => pids.every((pid) => !isAlive(pid)), 3_000);
  expect(pids.filter(isAlive)).toEqual([]);
}

/** Largest |a - b| over every tensor of two model directories' model.safetensors. */
async function maxWeightDifference(a: string, b: string): Promise<{ name: string; value: number }> {
  const [left, right] = await Promise.all([readSafetensors(join(a, 'model.safetensors')), readSafetensors(join(b, 'model.safetensors'))]);
  let worst = { name: '', value: 0 };
  for (const [name, tensor] of right.tensors) {
    const other = left.tensors.get(name);
    if (other === undefined || other.data.length !== tensor.data.length) return { name, value: Number.POSITIVE_INFINITY };
    for (let i = 0; i < tensor.data.length; i++) {
      const diff = Math.abs(other.data[i]! - tensor.data[i]!);
      if (diff > worst.value) worst = { name, value: diff };
    }
  }
  return worst;
}

async function readTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

describe('tunefleet train --workers N', () => {
  it('trains on 2 worker processes what one process trains; same output layout; no worker survives', async () => {
    // 2 ranks x batch 4 read exactly what 1 rank x batch 8 reads (libs/data's sharding rule).
    const single = tunefleet(['train', '--config', config, '--output-dir', join(root, 'single'), '--num-train-epochs', '1', '--per-device-train-batch-size', '8']);
    expect((await single.exited).code, single.stderr).toBe(0);
    const cluster = tunefleet(['train', '--config', config, '--output-dir', join(root, 'cluster'), '--num-train-epochs', '1', '--workers', '2']);
    const exit = await cluster.exited;
    expect(exit.code, cluster.stderr + cluster.stdout).toBe(0);
    const done = /training done on 2 workers: 5 steps, train_loss \d\.\d+, all-reduce [\d.]+ s for ([\d.]+) MB/.exec(cluster.stderr); // ceil(37 / (4 x 2)) steps
    expect(done, cluster.stderr).not.toBeNull();
    expect(Number(done![1])).toBeGreaterThan(0);
    await expectNoWorkerLeft(cluster, 2);

    expect(await readTree(join(root, 'cluster'))).toEqual(await readTree(join(root, 'single')));
    expect(await readTree(join(root, 'cluster'))).toContain(join('checkpoint-5', 'model.safetensors'));
    const results = async (dir: string) => Object.keys(JSON.parse(await readFile(join(root, dir, 'all_results.json'), 'utf8'))).sort();
    expect(await results('cluster')).toEqual(await results('single'));
    const state = JSON.parse(await readFile(join(root, 'cluster', 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(5);
    // Same job (columns, truncation, seed, arguments): the same weights up to f32 summation order.
    // (A job that dropped max_seq_length moves some weights by ~2.5e-2 here.)
    const difference = await maxWeightDifference(join(root, 'cluster'), join(root, 'single'));
    expect(difference.value, difference.name).toBeLessThan(1e-4);

    // One merged view from rank 0: the Trainer's log entries as the single-process run prints them.
    const logs = events(cluster).filter((e) => e.event === 'log');
    expect(logs.filter((e) => 'loss' in e).map((e) => e.step)).toEqual([2, 4]);
    expect(logs.some((e) => 'train_loss' in e)).toBe(true);
    expect(logs.some((e) => 'eval_accuracy' in e)).toBe(true);
    expect(events(cluster).filter((e) => e.event === 'train_begin')).toEqual([{ event: 'train_begin', max_steps: 5 }]);
    // Two workers of one machine: with the addon built, gradients go by shared memory (after each lane's probe).
    const sent = events(cluster)
      .filter((e) => e.event === 'message' && / collective: /.test(e.message))
      .map((e) => /(\d+) frames sent: (\d+) by shared memory/.exec(e.message)!.slice(1).map(Number));
    expect(sent).toHaveLength(2);
    for (const [total, shared] of sent) {
      expect(total).toBeGreaterThan(0);
      if (nativeSharedMemory() === undefined) expect(shared).toBe(0);
      else expect(shared).toBeGreaterThan(total! / 2);
    }
  });

  it('a failing job exits 1 with the reason and leaves no worker', async () => {
    // A checkpoint that only the workers read: its weights are cut short.
    const broken = join(root, 'broken-model');
    await cp(folder.modelDir, broken, { recursive: true });
    const weights = join(broken, 'model.safetensors');
    await writeFile(weights, (await readFile(weights)).subarray(0, 64));
    const run = tunefleet(['train', '--config', config, '--model', broken, '--output-dir', join(root, 'failed'), '--workers', '2']);
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    expect(run.stderr).toMatch(/the job JOB_STATE_FAILED: rank \d \(worker local-\d at 127\.0\.0\.1:\d+\) failed: CHECKPOINT_TRUNCATED: .*model\.safetensors/);
    await expectNoWorkerLeft(run, 2);
  });

  it('a training file that does not exist stops the run before any worker starts', async () => {
    const missing = join(root, 'no-such-train.tsv');
    const run = tunefleet(['train', '--config', config, '--train-file', missing, '--output-dir', join(root, 'failed-early'), '--workers', '2']);
    const exit = await run.exited;
    expect(exit.code).toBe(1);
    expect(run.stderr).toMatch(/no-such-train\.tsv/);
    expect(run.workerPids()).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s to the CLI mid-training cancels the job, exits %i and leaves no worker', async (signal, code) => {
    const run = tunefleet(['train', '--config', config, '--output-dir', join(root, `stopped-${signal}`), '--num-train-epochs', '200', '--workers', '2']);
    await waitUntil(() => events(run).some((e) => e.event === 'train_begin'), 60_000);
    run.child.kill(signal);
    const exit = await run.exited;
    expect(exit.code, run.stderr).toBe(code);
    expect(run.stderr).toContain(`${signal}: cancelling the job and stopping the workers`);
    await expectNoWorkerLeft(run, 2);
  });

  it('a SIGKILLed CLI leaves no workers either: they leave when its pipe ends', async () => {
    const run = tunefleet(['train', '--config', config, '--output-dir', join(root, 'killed'), '--num-train-epochs', '200', '--workers', '2']);
    await waitUntil(() => events(run).some((e) => e.event === 'train_begin'), 60_000);
    const pids = run.workerPids();
    expect(pids).toHaveLength(2);
    run.child.kill('SIGKILL');
    await run.exited;
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), 20_000);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('--bind-cores runs each worker on its own cores (as the kernel reports them) while it trains', async () => {
    const cores = allowedCores();
    const run = tunefleet(['train', '--config', config, '--output-dir', join(root, 'bound'), '--num-train-epochs', '200', '--workers', '2', '--threads', '1', '--bind-cores']);
    if (cores.length < 2) {
      // A one-core machine cannot give two workers a core each: refused before anything starts.
      expect((await run.exited).code).not.toBe(0);
      expect(run.stderr).toMatch(/2 workers x 1 cores \(--threads\) need 2 cores; this process may use 1/);
      return;
    }
    await waitUntil(() => events(run).some((e) => e.event === 'train_begin'), 60_000);
    const pids = run.workerPids();
    expect(pids).toHaveLength(2);
    const affinity = (pid: number) => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(pids.map(affinity)).toEqual([String(cores[0]), String(cores[1])]);
    // One core each: V8 collects garbage on the worker's main thread.
    for (const pid of pids) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--single-threaded-gc');
    expect(run.stdout).toContain(`started worker 0 of 2 (pid ${pids[0]}, cores ${cores[0]})`);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    await expectNoWorkerLeft(run, 2);
  });
});
