import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { errorCode } from '@tunefleet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer, type RunningMetricsServer } from './metrics-server.ts';
import { RankMetrics } from './rank-metrics.ts';
import { TunefleetMetrics } from './tunefleet-metrics.ts';

const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version']).status === 0;
// CI installs Debian's prometheus (which brings promtool) and sets this: no silent skip there.
const isPromtoolRequired = process.env['TUNEFLEET_REQUIRE_PROMETHEUS'] === '1';
if (!hasPromtool && !isPromtoolRequired) console.warn(`metrics-server.spec.ts: promtool check skipped: ${PROMTOOL} is missing (Debian's prometheus package)`);

const servers: RunningMetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function serve(metrics: TunefleetMetrics, lines: string[] = []): Promise<RunningMetricsServer> {
  const server = await startMetricsServer({ metrics, port: 0, name: 'worker 0', log: (line) => lines.push(line) });
  servers.push(server);
  return server;
}

describe('startMetricsServer', () => {
  it('serves the exposition on 127.0.0.1 at /metrics and says where in its log line', async () => {
    const metrics = new TunefleetMetrics();
    new RankMetrics(metrics, { job: 'j', rank: 0 }).onStep({ step: 3, maxSteps: 9, epoch: 1, loss: 0.5, learningRate: 1e-4, gradNorm: 1, samples: 4, tokens: 40, stepSeconds: 0.1 });
    const lines: string[] = [];
    const server = await serve(metrics, lines);
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    expect(lines).toEqual([`worker 0: serving Prometheus metrics on http://127.0.0.1:${server.port}/metrics`]);
    const response = await fetch(`http://${server.address}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('tunefleet_global_step{job="j",rank="0"} 3');
    expect(text).toContain('process_cpu_seconds_total');
    expect((await fetch(`http://${server.address}/`)).status).toBe(404);
    expect((await fetch(`http://${server.address}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('reports a taken port as BIND_FAILED naming the address and the flag', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startMetricsServer({ metrics: new TunefleetMetrics({ defaultMetrics: false }), port }).catch((e: unknown) => e);
      expect(errorCode(error)).toBe('BIND_FAILED');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain('--metrics-port');
    } finally {
      blocker.close();
    }
  });

  it('refuses a port out of range', async () => {
    const error = await startMetricsServer({ metrics: new TunefleetMetrics({ defaultMetrics: false }), port: 70000 }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('METRICS_OPTIONS_INVALID');
  });

  it('stop() closes the port even with a keep-alive scraper connected', async () => {
    const server = await serve(new TunefleetMetrics({ defaultMetrics: false }));
    await fetch(`http://${server.address}/metrics`, { headers: { connection: 'keep-alive' } });
    await server.stop();
    await expect(fetch(`http://${server.address}/metrics`)).rejects.toThrow();
  });
});

describe.skipIf(!hasPromtool && !isPromtoolRequired)('the exposition under promtool check metrics', () => {
  it('has no lint problem, every tunefleet series and the process defaults included', async () => {
    expect(hasPromtool, `${PROMTOOL} is missing: install Debian's prometheus package (TUNEFLEET_REQUIRE_PROMETHEUS=1 forbids skipping)`).toBe(true);
    const metrics = new TunefleetMetrics();
    const rank = new RankMetrics(metrics, { job: 'j', rank: 0, isJobProgressExported: true });
    rank.onTrainBegin(0, 4);
    rank.onStep({ step: 1, maxSteps: 4, epoch: 0.25, loss: 0.5, learningRate: 1e-4, gradNorm: 1, samples: 4, tokens: 40, stepSeconds: 0.1 });
    rank.onEvaluate({ eval_accuracy: 0.5 });
    rank.onCheckpoint(0.2);
    rank.onAllReduce(0.01, 1024);
    metrics.jobs.set({ state: 'running' }, 1);
    metrics.workers.set({ state: 'busy' }, 2);
    metrics.workerRestartsTotal.inc({ job: 'j' });
    const server = await serve(metrics);
    const text = await (await fetch(`http://${server.address}/metrics`)).text();
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
