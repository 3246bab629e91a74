import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CoreBindingError } from './core-binding-error.ts';

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
  /** CPU cores per worker (`bindCores`): worker i runs under `taskset -c cores[i]`. */
  readonly cores?: readonly (readonly number[])[];
  /** Worker i serves /metrics on `basePort + 1 + i` (the coordinator has basePort); 0: any free port. */
  readonly metrics?: { readonly host: string; readonly basePort: number };
  readonly cwd: string;
  readonly onLine: (index: number, line: string) => void;
}

interface Worker {
  readonly index: number;
  readonly cores: readonly number[] | undefined;
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
    const taskset = options.cores === undefined ? undefined : findTaskset(); // before any worker starts
    this.workers = Array.from({ length: options.count }, (_, index) => startWorker(index, options, taskset));
  }

  /** ", cores 0-1" when worker `index` is bound to cores, else "" (for messages). */
  coresOf(index: number): string {
    const cores = this.workers[index]?.cores;
    return cores === undefined ? '' : `, cores ${cores.join(',')}`;
  }

  get pids(): (number | undefined)[] {
    return this.workers.map((worker) => worker.child.pid);
  }

  /**
   * Resolves with the last worker's exit once every worker has exited with a failure (a lost worker
   * is the job's business: its ring re-forms without it); `onFailure` hears each failed exit.
   */
  allGone(onFailure: (exit: WorkerExit) => void): Promise<WorkerExit> {
    let isAnyFailed = false;
    for (const worker of this.workers) {
      void worker.exited.then((exit) => {
        if (exit.code === 0) return;
        isAnyFailed = true;
        onFailure(exit);
      });
    }
    // Only when every worker failed is the job surely stuck; a worker that exited 0 saw the job end, which the watch reports.
    return Promise.all(this.workers.map((worker) => worker.exited)).then((exits) =>
      isAnyFailed && exits.every((exit) => exit.code !== 0) ? exits[exits.length - 1]! : new Promise<WorkerExit>(() => {}),
    );
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

function startWorker(index: number, options: LocalWorkerOptions, taskset: string | undefined): Worker {
  const args = [BIN, 'worker', '--coordinator', options.coordinator, '--worker-id', `local-${index}`, '--backend', options.backend, '--stop-on-stdin-end'];
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  if (options.metrics !== undefined) args.push('--metrics-port', String(workerMetricsPort(options.metrics.basePort, index)), '--metrics-host', options.metrics.host);
  const cores = options.cores?.[index];
  // taskset sets the affinity and execs node, so the pid (and the signals sent to it) stay the worker's.
  // On a single core V8's GC helper threads could only time-slice the worker's own core: GC runs on
  // the main thread instead (measured in BENCHMARKS.md: steadier steps, so ranks wait less for each other).
  const [command, argv] =
    cores === undefined || taskset === undefined
      ? [process.execPath, args]
      : [taskset, ['-c', cores.join(','), process.execPath, ...(cores.length === 1 ? ['--single-threaded-gc'] : []), ...args]];
  const child = spawn(command, argv, {
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
    cores,
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

/** `train --workers N --metrics-port P`: worker `index` serves on P + 1 + index; P = 0 leaves every port free. */
export function workerMetricsPort(basePort: number, index: number): number {
  return basePort === 0 ? 0 : basePort + 1 + index;
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

/**
 * `--bind-cores`: the cores of each of `workers` workers, `threads` each (default: an equal share of
 * the allowed cores), taken in order from the cores this process may run on (Linux's
 * Cpus_allowed_list, so a container's cpuset is respected). No core is shared: more cores than there
 * are is an error naming both numbers.
 */
export function bindCores(workers: number, threads: number | undefined, allowed: readonly number[] = allowedCores(), source = 'train'): number[][] {
  const perWorker = threads ?? Math.max(1, Math.floor(allowed.length / workers));
  if (workers * perWorker > allowed.length) {
    throw new CoreBindingError(
      `${source}: bind_cores (--bind-cores): ${workers} workers x ${perWorker} cores (--threads) need ${workers * perWorker} cores; ` +
        `this process may use ${allowed.length} (${allowed.join(',')})`,
    );
  }
  return Array.from({ length: workers }, (_, i) => allowed.slice(i * perWorker, (i + 1) * perWorker));
}

/** The CPU cores this process may run on, from /proc/self/status (Linux); elsewhere binding is refused. */
export function allowedCores(status = readProcStatus()): number[] {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  if (list === undefined) throw new CoreBindingError('bind_cores (--bind-cores) needs Linux (/proc/self/status has no Cpus_allowed_list here)');
  return parseCpuList(list);
}

/** "0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11] (the kernel's cpulist format). */
export function parseCpuList(list: string): number[] {
  const cores: number[] = [];
  for (const part of list.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) throw new CoreBindingError(`not a CPU list: "${list}" (at "${part}")`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let core = first; core <= last; core++) cores.push(core);
  }
  return cores;
}

function readProcStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** taskset (util-linux) on PATH, or an error saying what --bind-cores needs. */
function findTaskset(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'taskset');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new CoreBindingError('bind_cores (--bind-cores) runs each worker under taskset (util-linux), which is not on PATH');
}
