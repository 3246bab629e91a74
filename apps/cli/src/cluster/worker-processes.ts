import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The CLI's own entry point: workers run the same `tunefleet` the user ran. */
const BIN = fileURLToPath(new URL('../../bin/tunefleet.mjs', import.meta.url));
// Lines of each worker's output kept to explain a worker that died.
const TAIL_LINES = 20;

export interface WorkerExit {
  readonly index: number;
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The worker's last output lines. */
  readonly tail: readonly string[];
}

export interface LocalWorkerOptions {
  readonly count: number;
  readonly coordinator: string;
  /** Passed in the environment (TUNEFLEET_TOKEN), never on the command line where `ps` shows it. */
  readonly token: string;
  readonly backend: string;
  readonly threads?: number;
  readonly cwd: string;
  readonly onLine: (index: number, line: string) => void;
}

interface Worker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly tail: string[];
  readonly exited: Promise<WorkerExit>;
  exit?: WorkerExit;
}

/**
 * `count` `tunefleet worker` OS processes on this machine. Each gets its stdin as a pipe from this
 * process and leaves its job when the pipe ends, so even a parent killed with SIGKILL leaves no worker
 * behind; `stop` ends them with SIGTERM, then SIGKILL after a grace period; `killNow` is the
 * synchronous last resort for a process 'exit' handler.
 */
export class LocalWorkers {
  private readonly workers: Worker[];

  constructor(options: LocalWorkerOptions) {
    this.workers = Array.from({ length: options.count }, (_, index) => startWorker(index, options));
  }

  get pids(): (number | undefined)[] {
    return this.workers.map((worker) => worker.child.pid);
  }

  /** Resolves with the first worker to exit with a failure (non-zero code or a signal); never resolves otherwise. */
  firstFailure(): Promise<WorkerExit> {
    return new Promise((resolve) => {
      for (const worker of this.workers) void worker.exited.then((exit) => (exit.code !== 0 ? resolve(exit) : undefined));
    });
  }

  /** Waits up to `waitMs` for the workers to exit by themselves, then SIGTERM, then SIGKILL after `graceMs`. */
  async stop(waitMs: number, graceMs: number): Promise<void> {
    const allExited = Promise.all(this.workers.map((worker) => worker.exited));
    if (await settlesWithin(allExited, waitMs)) return;
    for (const worker of this.alive()) worker.child.kill('SIGTERM');
    if (await settlesWithin(allExited, graceMs)) return;
    for (const worker of this.alive()) worker.child.kill('SIGKILL');
    await allExited;
  }

  killNow(): void {
    for (const worker of this.alive()) worker.child.kill('SIGKILL');
  }

  private alive(): Worker[] {
    return this.workers.filter((worker) => worker.exit === undefined && worker.child.exitCode === null && worker.child.signalCode === null);
  }
}

function startWorker(index: number, options: LocalWorkerOptions): Worker {
  const args = [BIN, 'worker', '--coordinator', options.coordinator, '--worker-id', `local-${index}`, '--backend', options.backend, '--stop-on-stdin-end'];
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, TUNEFLEET_TOKEN: options.token },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    options.onLine(index, line);
  };
  const streamsDone = [child.stdout!, child.stderr!].map((stream) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', onLine);
    return new Promise<void>((resolve) => lines.once('close', resolve));
  });
  child.stdin!.on('error', () => {}); // EPIPE once the worker is gone
  const worker: Worker = {
    index,
    child,
    tail,
    exited: new Promise<WorkerExit>((resolve) => {
      let isFinished = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (isFinished) return;
        isFinished = true;
        // Let the last lines arrive (they explain the exit), but never wait on a grandchild holding the pipe.
        void settlesWithin(Promise.all(streamsDone), 1_000).then(() => {
          worker.exit = { index, pid: child.pid, code, signal, tail: [...tail] };
          child.stdin!.destroy();
          resolve(worker.exit);
        });
      };
      child.once('exit', finish);
      child.once('error', (error) => {
        onLine(`cannot start worker: ${error.message}`);
        finish(127, null);
      });
    }),
  };
  return worker;
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
