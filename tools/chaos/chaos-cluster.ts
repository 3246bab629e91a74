// A local cluster of real processes for fault injection: one `tunefleet coordinator` on a fixed
// port (so it can be killed and restarted with the same --db and address) and `tunefleet worker`
// processes, each on 127.0.0.1. Used by `npm run chaos` and by the tests under test/elastic.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');

export interface ClusterProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line it wrote (stdout and stderr). */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChaosClusterOptions {
  readonly dir: string;
  readonly token: string;
  /** Extra lines go here as they arrive ("name: line"); default: kept only in `lines`. */
  readonly onLine?: (name: string, line: string) => void;
}

/** A free TCP port on 127.0.0.1 (bound, read, released: the coordinator takes it next). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** True while `pid` runs; a zombie (exited, not reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (process.platform === 'linux') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True while `pid` is stopped (SIGSTOP: state T). */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}

export class ChaosCluster {
  readonly dbPath: string;
  readonly processes: ClusterProcess[] = [];
  coordinator: ClusterProcess | undefined;
  private workerCount = 0;
  private coordinatorStarts = 0;

  private constructor(
    private readonly options: ChaosClusterOptions,
    readonly port: number,
  ) {
    this.dbPath = join(options.dir, 'coordinator.db');
  }

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(options, await freePort());
    await cluster.startCoordinator();
    return cluster;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, with the same --db and port) the coordinator; resolves once it listens. */
  async startCoordinator(): Promise<ClusterProcess> {
    const name = `coordinator#${++this.coordinatorStarts}`;
    const started = this.spawn(name, ['coordinator', '--port', String(this.port), '--db', this.dbPath, '--token', this.options.token]);
    this.coordinator = started;
    await waitForLine(started, /listening on /, 60_000);
    return started;
  }

  /** kill -9 of the coordinator, then a new one with the same state; resolves once it listens again. */
  async restartCoordinator(downMs = 0): Promise<void> {
    const old = this.coordinator;
    if (old !== undefined && isAlive(old.pid)) {
      process.kill(old.pid, 'SIGKILL');
      await old.exited;
    }
    if (downMs > 0) await sleep(downMs);
    await this.startCoordinator();
  }

  /** One `tunefleet worker` (cpu backend, 1 thread); it runs one job and exits. */
  startWorker(): ClusterProcess {
    const index = this.workerCount++;
    return this.spawn(`worker${index}`, ['worker', '--coordinator', this.address, '--token', this.options.token, '--backend', 'cpu', '--threads', '1', '--worker-id', `chaos-w${index}`]);
  }

  workers(): ClusterProcess[] {
    return this.processes.filter((p) => p.name.startsWith('worker'));
  }

  liveWorkers(): ClusterProcess[] {
    return this.workers().filter((p) => isAlive(p.pid));
  }

  /** SIGKILLs whatever is left and waits for it. */
  async stop(): Promise<void> {
    for (const p of this.processes) {
      if (!isAlive(p.pid)) continue;
      try {
        // A stopped process dies on SIGKILL as it is, without running again.
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(this.processes.map((p) => p.exited));
  }

  private spawn(name: string, args: string[]): ClusterProcess {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const onData = (buffer: { pending: string }) => (chunk: Buffer) => {
      buffer.pending += chunk.toString();
      const parts = buffer.pending.split('\n');
      buffer.pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        this.options.onLine?.(name, line);
      }
    };
    child.stdout!.on('data', onData({ pending: '' }));
    child.stderr!.on('data', onData({ pending: '' }));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
    const started: ClusterProcess = { name, child, pid: child.pid!, lines, exited };
    this.processes.push(started);
    return started;
  }
}

/** Resolves once `p` printed a line matching `pattern`; rejects if it exits first or after `timeoutMs`. */
export async function waitForLine(p: ClusterProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: string | undefined;
  void p.exited.then((e) => (exitedWith = `${e.code ?? e.signal}`));
  for (;;) {
    const line = p.lines.find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (exitedWith !== undefined) throw new Error(`${p.name} exited (${exitedWith}) before printing ${pattern}:\n${p.lines.slice(-20).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`${p.name} did not print ${pattern} within ${timeoutMs} ms:\n${p.lines.slice(-20).join('\n')}`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
