// Test-only: the tunefleet CLI as a child process (real processes, killed in teardown), and the
// tiny job folder of the data-parallel tests as the model and data a run reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');

export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout: string;
  stderr: string;
}

const running = new Set<CliProcess>();

/** Starts `tunefleet ARGS`; `killAll` in afterEach ends whatever is still running. */
export function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const proc: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((done) => child.once('exit', (code) => done(code))),
  };
  child.stdout!.on('data', (chunk: Buffer) => (proc.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (proc.stderr += chunk.toString()));
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Runs `tunefleet ARGS` to its end. */
export async function tunefleet(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = start(args, env);
  const code = await proc.exited;
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

export async function killAll(): Promise<void> {
  const procs = [...running];
  for (const proc of procs) proc.child.kill('SIGKILL');
  await Promise.all(procs.map((proc) => proc.exited));
}

/** Resolves once `proc`'s stderr or stdout matches `pattern`; rejects after `timeoutMs` or when it exits first. */
export async function waitForOutput(proc: CliProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  let isExited = false;
  void proc.exited.then(() => (isExited = true));
  for (;;) {
    const match = pattern.exec(proc.stderr) ?? pattern.exec(proc.stdout);
    if (match) return match;
    if (isExited || Date.now() > deadline) {
      throw new Error(`no ${pattern} within ${timeoutMs} ms${isExited ? ' (the process exited)' : ''}:\n${proc.stderr}\n${proc.stdout}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

export async function readJson(file: string): Promise<any> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** `train` flags over a job folder (tiny model, 37 training rows): CPU, quiet, small batches. */
export function trainFlags(folder: { modelDir: string; trainFile: string }, outputDir: string, extra: readonly string[] = []): string[] {
  return [
    'train', '--model', folder.modelDir, '--train-file', folder.trainFile, '--text-column', 'sentence',
    '--output-dir', outputDir, '--backend', 'cpu', '--per-device-train-batch-size', '4', '--logging-steps', '1',
    '--max-seq-length', '16', '--disable-tqdm', 'true', ...extra,
  ];
}
