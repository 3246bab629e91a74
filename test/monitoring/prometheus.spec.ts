// End to end with a real Prometheus (Debian's package): it scrapes `tunefleet train --workers 2
// --metrics-port P` (the coordinator on P, worker k on P+1+k) and its HTTP API shows every rank's
// tunefleet_global_step rising. Every process is killed in afterEach whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';
import { isAlive } from '../local-cluster/processes.ts';
import { freePortRange, hasBinary, isPrometheusRequired, missingMessage, PROMETHEUS, queryRange, startPrometheus, type PromSeries, type RunningPrometheus } from './prometheus-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const WORKER_PID = /started worker (\d+) of (\d+) \(pid (\d+)[,)]/;
const hasPrometheus = hasBinary(PROMETHEUS);
if (!hasPrometheus && !isPrometheusRequired) console.warn(`test/monitoring/prometheus.spec.ts skipped: ${missingMessage(PROMETHEUS)}`);

let folder: JobFolder;
let root: string;
let prometheus: RunningPrometheus | undefined;
let cli: ChildProcess | undefined;
let cliOutput = '';

beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root, 64);
});

afterEach(async () => {
  if (cli !== undefined) {
    const pids = cliOutput.split('\n').flatMap((line) => (WORKER_PID.exec(line) ? [Number(WORKER_PID.exec(line)![3])] : []));
    if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    cli = undefined;
  }
  await prometheus?.stop();
  prometheus = undefined;
}, 15_000);

afterAll(removeTempDirs);

describe.skipIf(!hasPrometheus && !isPrometheusRequired)('Prometheus scraping train --workers 2 --metrics-port P', () => {
  it('records tunefleet_global_step rising on both ranks, and the coordinator running the job', async () => {
    expect(hasPrometheus, missingMessage(PROMETHEUS)).toBe(true);
    const base = await freePortRange(3);
    const targets = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`);
    prometheus = await startPrometheus(join(root, 'prometheus'), targets);
    const config = join(root, 'run.yaml');
    await writeFile(
      config,
      [
        `model: ${folder.modelDir}`,
        `train_file: ${folder.trainFile}`,
        'backend: cpu',
        'max_seq_length: 16',
        'per_device_train_batch_size: 4',
        // More steps than the test waits for: it stops the run once Prometheus has seen enough.
        'max_steps: 5000',
        'logging_steps: 100',
        'save_strategy: "no"',
        `output_dir: ${join(root, 'out')}`,
        'overwrite_output_dir: true',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [BIN, 'train', '--config', config, '--workers', '2', '--metrics-port', String(base)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli = child;
    cliOutput = '';
    child.stdout!.on('data', (chunk: Buffer) => (cliOutput += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (cliOutput += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));

    // Until each rank's series holds at least two different steps (or the run ends, or 90 s pass).
    let steps: PromSeries[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && child.exitCode === null) {
      steps = await queryRange(prometheus.url, 'tunefleet_global_step[10m]');
      if (steps.length === 2 && steps.every((series) => new Set(series.values.map(([, v]) => v)).size >= 3)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const running = await queryRange(prometheus.url, 'max_over_time(tunefleet_jobs{state="running"}[10m])');
    child.kill('SIGTERM'); // cancels the job and stops the workers
    expect(await exited, cliOutput).toBe(143);

    // Each process said where it serves.
    for (const port of [base, base + 1, base + 2]) expect(cliOutput).toContain(`serving Prometheus metrics on http://127.0.0.1:${port}/metrics`);
    const byRank = new Map(steps.map((series) => [series.metric['rank'], series]));
    expect([...byRank.keys()].sort(), `${JSON.stringify(steps)}\n${cliOutput}`).toEqual(['0', '1']);
    const instances = new Set<string>();
    for (const [rank, series] of byRank) {
      const values = series.values.map(([, value]) => Number(value));
      instances.add(series.metric['instance']!);
      expect(series.metric['job']).toMatch(/^local-train-/);
      for (let i = 1; i < values.length; i++) expect(values[i]!, `rank ${rank}: ${values}`).toBeGreaterThanOrEqual(values[i - 1]!);
      expect(values.at(-1)!, `rank ${rank}: ${values}`).toBeGreaterThan(values[0]!);
    }
    // The workers' ports (which worker got which rank is the coordinator's choice).
    expect([...instances].sort()).toEqual([`127.0.0.1:${base + 1}`, `127.0.0.1:${base + 2}`].sort());
    // The coordinator, on the base port, had the job running.
    expect(running.map((series) => [series.metric['instance'], Number(series.value![1])])).toEqual([[`127.0.0.1:${base}`, 1]]);
  });
});
