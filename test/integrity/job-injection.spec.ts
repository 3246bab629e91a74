// Failure 2 of issue 10 (gradient injection) at job level: a real 2-worker job (coordinator and two
// workers on 127.0.0.1:0) while an attacker that holds the cluster token keeps connecting to both
// workers' data planes, claiming to be the other rank of the running job and sending chunks of NaN
// for every step. Every attempt is refused, and the final model.safetensors is byte-identical to
// the same job's without the attacker. (test/integrity/injection.spec.ts is the ring-level proof.)
import net from 'node:net';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, credentials } from '@grpc/grpc-js';
import { derivePairKey } from '@tunefleet/comm';
import { createCoordinatorClient, startCoordinator } from '@tunefleet/coordinator';
import { GradientDtype } from '@tunefleet/proto';
import { runWorker, type WorkerResult } from '@tunefleet/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestOffer } from '../../libs/comm/src/grpc/data-plane-offer.ts';
import { CHALLENGE_BYTES, FrameMacs, encodeChunkHeader, encodeHello, parseChallenge } from '../../libs/comm/src/data-plane/data-plane-frame.ts';
import { writeJobFolder, type JobFolder } from '../data-parallel/job-folder.ts';
import { removeTempDirs, tempDir, useCpu } from '../data-parallel/support.ts';

const TOKEN = 'job-injection-token-0123456789abcdef';
let root: string;
let folder: JobFolder;
beforeAll(async () => {
  await useCpu();
  root = await tempDir();
  folder = await writeJobFolder(root);
});
afterAll(removeTempDirs);

const COLLECTIVE = /registered as \S+ with \S+ \(collective (127\.0\.0\.1:\d+)/;

/** One connection: HELLO as `claimedRank` of `jobId` with a key a token holder can derive, then NaN chunks for `steps`. Resolves with the status byte. */
async function inject(port: number, jobId: string, claimedRank: number, receiverRank: number, steps: readonly number[]): Promise<number | undefined> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
  const closed = once(socket, 'close');
  const timer = setTimeout(() => socket.destroy(), 15_000);
  try {
    while (received.length < CHALLENGE_BYTES) {
      if (socket.destroyed) return undefined; // the worker is gone (the job ended)
      await Promise.race([once(socket, 'data'), closed]);
    }
    const nonce = parseChallenge(received.subarray(0, CHALLENGE_BYTES))!;
    const key = derivePairKey(TOKEN, jobId, claimedRank, receiverRank, 1);
    socket.write(encodeHello({ jobId, rank: claimedRank, lane: 0 }, key, nonce));
    const macs = new FrameMacs(key, nonce, 0);
    const values = Buffer.from(new Float32Array(1024).fill(Number.NaN).buffer);
    for (const step of steps) {
      for (const phase of ['reduce-scatter', 'all-gather'] as const) {
        const head = encodeChunkHeader({ step, bucketId: 0, phase, round: 0, chunkIndex: 0, rank: claimedRank }, 'f32', 1024);
        socket.write(Buffer.concat([head, values, macs.next(head, values)]));
      }
    }
    await closed;
  } catch {
    // the worker closed first
  } finally {
    clearTimeout(timer);
  }
  return received.length > CHALLENGE_BYTES ? received[CHALLENGE_BYTES] : undefined;
}

/** Runs the job on two fresh workers; with `isAttacked`, an attacker injects until it ends. Returns the final model bytes and what the attacker saw. */
async function runJob(name: string, isAttacked: boolean): Promise<{ model: Buffer; statuses: (number | undefined)[]; workerLines: string[] }> {
  const coordinator = await startCoordinator({ port: 0, dbPath: join(root, `${name}.db`), token: TOKEN, heartbeatTimeoutMs: 10_000, log: () => {} });
  const lines: string[] = [];
  const addresses: string[] = [];
  const workers: Promise<WorkerResult>[] = [0, 1].map((i) =>
    runWorker({
      coordinator: coordinator.address,
      token: TOKEN,
      workerId: `${name}-w${i}`,
      backend: 'cpu',
      log: (line) => {
        lines.push(`w${i}: ${line}`);
        const match = COLLECTIVE.exec(line);
        if (match) addresses[i] = match[1]!;
      },
    }),
  );
  const client = createCoordinatorClient(coordinator.address, TOKEN);
  const statuses: (number | undefined)[] = [];
  const outputDir = join(root, name);
  try {
    const job = await client.submitJob({
      name,
      modelNameOrPath: folder.modelDir,
      task: 'sequence-classification',
      trainFile: folder.trainFile,
      validationFile: '',
      worldSize: 2,
      trainingArgumentsJson: JSON.stringify({ output_dir: outputDir, per_device_train_batch_size: 4, num_train_epochs: 2, learning_rate: 5e-3, save_strategy: 'no', seed: 3 }),
      gradientDtype: GradientDtype.GRADIENT_DTYPE_F32,
      collectiveTimeoutMs: 20_000,
    });
    let isDone = false;
    const attacker = (async () => {
      if (!isAttacked) return;
      while (addresses.filter(Boolean).length < 2) await new Promise((done) => setTimeout(done, 20));
      // The token is all it needs to learn each worker's data-plane port.
      const ports = await Promise.all(
        addresses.map(async (address) => {
          const grpcClient = new Client(address, credentials.createInsecure());
          try {
            return (await requestOffer(grpcClient, TOKEN, 5_000)).port;
          } finally {
            grpcClient.close();
          }
        }),
      );
      const steps = Array.from({ length: 12 }, (_, i) => i);
      while (!isDone) {
        // Rank 0 hears from rank 1 and rank 1 from rank 0: claim to be each one's left neighbour.
        statuses.push(...(await Promise.all([inject(ports[0]!, job.jobId, 1, 0, steps), inject(ports[1]!, job.jobId, 0, 1, steps)])));
      }
    })();
    // Both ranks finishing is the end of the job here (rank 0 has written the model by then).
    const results = await Promise.all(workers);
    isDone = true;
    await attacker;
    expect(results.map((r) => r.exitCode), lines.join('\n')).toEqual([0, 0]);
    expect(lines.filter((line) => / rank \d done, 10 steps/.test(line)), lines.join('\n')).toHaveLength(2);
  } finally {
    client.close();
    await coordinator.stop();
  }
  return { model: await readFile(join(outputDir, 'model.safetensors')), statuses, workerLines: lines };
}

describe('gradient injection into a running 2-worker job', () => {
  it('every attempt is refused and the final weights are identical to the same job without the attacker', async () => {
    const clean = await runJob('clean', false);
    const attacked = await runJob('attacked', true);
    // Connections the attacker opened while the job ran (not those after a worker had left).
    const answered = attacked.statuses.filter((status) => status !== undefined);
    expect(answered.length).toBeGreaterThanOrEqual(2);
    expect(new Set(answered)).toEqual(new Set([1])); // every one: STATUS unauthenticated
    const refusals = attacked.workerLines.filter((line) => line.includes('refused a data-plane connection'));
    expect(refusals.length).toBe(answered.length);
    for (const line of refusals) expect(line).toMatch(/"peer":"127\.0\.0\.1:\d+".*"reason":"HELLO MAC does not match/);
    expect(attacked.model.equals(clean.model)).toBe(true);
  }, 180_000);
});
