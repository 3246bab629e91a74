// Test-only: the chaos tool's cluster of real processes (tools/chaos), a job folder, and polling.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoordinatorClient, type CoordinatorClientApi } from '@tunefleet/coordinator';
import type { Job } from '@tunefleet/proto';
import { ChaosCluster, sleep, type ClusterProcess } from '../../tools/chaos/chaos-cluster.ts';
import { writeChaosFixture, type ChaosFixture } from '../../tools/chaos/chaos-fixture.ts';

export { chaosSpec, type ChaosJob } from '../../tools/chaos/chaos-trial.ts';
export { checkLedgerFile } from '../../apps/coordinator/src/sample-ledger.ts';
export { isAlive, isStopped, sleep, waitForLine, type ClusterProcess } from '../../tools/chaos/chaos-cluster.ts';

export interface ElasticHarness {
  readonly dir: string;
  readonly token: string;
  readonly fixture: ChaosFixture;
  readonly cluster: ChaosCluster;
  readonly client: CoordinatorClientApi;
  close(): Promise<void>;
}

/** A coordinator process on a fixed port and a job folder of `rows` training rows; `close` kills everything. */
export async function startHarness(rows: number): Promise<ElasticHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'tunefleet-elastic-'));
  const token = randomBytes(24).toString('hex');
  const fixture = await writeChaosFixture(dir, rows);
  const cluster = await ChaosCluster.start({ dir, token });
  const client = createCoordinatorClient(cluster.address, token);
  return {
    dir,
    token,
    fixture,
    cluster,
    client,
    close: async () => {
      client.close();
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls GetJob (through coordinator restarts) until `isDone(job)`; every job seen goes to `seen`. */
export async function pollJob(client: CoordinatorClientApi, jobId: string, isDone: (job: Job) => boolean, timeoutMs: number, seen: Job[] = []): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.getJob(jobId).catch(() => undefined);
    if (job !== undefined) {
      seen.push(job);
      if (isDone(job)) return job;
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId}: condition not met within ${timeoutMs} ms; last seen ${JSON.stringify(seen.at(-1)?.statusMessage ?? seen.at(-1)?.state)}`);
    await sleep(100);
  }
}

/** The collective address a worker registered with first ("registered as ID with ... (collective HOST:PORT, ..."). */
export function collectiveAddressOf(worker: ClusterProcess): string | undefined {
  for (const line of worker.lines) {
    const match = /registered as \S+ with \S+ \(collective ([^,\s]+),/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

export function allEpochs(epochs: number): Set<number> {
  return new Set(Array.from({ length: epochs }, (_, epoch) => epoch));
}
