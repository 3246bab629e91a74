// Test-only: Debian's prometheus and promtool, found or reported, and a Prometheus server started on
// 127.0.0.1 with a temporary storage path.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

/** CI installs Debian's prometheus package and sets TUNEFLEET_REQUIRE_PROMETHEUS=1: a missing binary fails there. */
export const isPrometheusRequired = process.env['TUNEFLEET_REQUIRE_PROMETHEUS'] === '1';

export function hasBinary(path: string): boolean {
  return existsSync(path) && spawnSync(path, ['--version']).status === 0;
}

export function missingMessage(path: string): string {
  return `${path} is missing: install Debian's prometheus package (apt-get install -y --no-install-recommends prometheus), which brings prometheus and promtool`;
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `count` consecutive free ports starting at the returned one (train --workers N --metrics-port P uses P..P+N). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const held: ReturnType<typeof createServer>[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(base + i, '127.0.0.1', resolve));
        held.push(server);
      }
      return base;
    } catch {
      // taken: try another range
    } finally {
      await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    }
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

export interface RunningPrometheus {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Prometheus scraping `targets` every `scrapeInterval`, on 127.0.0.1 and a free port, storing under `dir`. */
export async function startPrometheus(dir: string, targets: readonly string[], scrapeInterval = '500ms'): Promise<RunningPrometheus> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      `  scrape_interval: ${scrapeInterval}`,
      `  scrape_timeout: ${scrapeInterval}`,
      'scrape_configs:',
      '  - job_name: tunefleet',
      // The series carry their own `job` (the tunefleet job id), as deploy/monitoring/prometheus.yml keeps it.
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with code ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 30 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, child, output: () => output, stop };
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  /** A range vector's samples (`tunefleet_global_step[10m]`). */
  readonly values: [number, string][];
  /** An instant vector's sample (`max_over_time(...)`). */
  readonly value?: [number, string];
}

/** The result of an instant query: a range selector gives each series' samples, an expression its value. */
export async function queryRange(prometheusUrl: string, selector: string): Promise<PromSeries[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(selector)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { resultType: string; result: PromSeries[] } };
  if (body.status !== 'success') throw new Error(`query ${selector} failed: ${body.error}`);
  return body.data.result;
}
