// Ring all-reduce timings for the scaling model: ranks as processes on loopback
// (tools/bench/allreduce/rank-process.ts, a GrpcCollectiveEndpoint each, TCP data plane, 2 lanes).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { WireDtype } from '@tunefleet/comm';
import type { FromRank } from './allreduce/protocol.ts';

export interface RingTiming {
  readonly bufferBytes: number;
  readonly dtype: WireDtype;
  /** Bytes of the buffer as encoded on the wire (bf16: half). */
  readonly wireBytes: number;
  /** Median over the iterations (the first is a warm-up) of the slower rank's time. */
  readonly seconds: number;
}

interface Rank {
  readonly process: ChildProcess;
  next(): Promise<FromRank>;
}

function startRank(chunkBytes: number): Rank {
  const child = fork(fileURLToPath(new URL('./allreduce/rank-process.ts', import.meta.url)), ['2', String(chunkBytes), 'tcp', 'native'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: FromRank[] = [];
  const waiting: Array<(message: FromRank) => void> = [];
  child.on('message', (message: FromRank) => {
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else inbox.push(message);
  });
  return {
    process: child,
    next: async () => {
      const message = inbox.length > 0 ? inbox.shift()! : await new Promise<FromRank>((resolve) => waiting.push(resolve));
      if (message.kind === 'error') throw new Error(`rank process failed: ${message.message}`);
      return message;
    },
  };
}

/** 2 ranks; each size in turn. Always stops the rank processes. */
export async function measureRing(options: {
  readonly chunkBytes: number;
  readonly iterations: number;
  readonly sizes: readonly { readonly bytes: number; readonly dtype: WireDtype }[];
}): Promise<RingTiming[]> {
  const worldSize = 2;
  const ranks = Array.from({ length: worldSize }, () => startRank(options.chunkBytes));
  try {
    const addresses = await Promise.all(ranks.map(async (rank) => ((await rank.next()) as Extract<FromRank, { kind: 'listening' }>).address));
    ranks.forEach((rank, index) => rank.process.send({ kind: 'join', rank: index, worldSize, rightAddress: addresses[(index + 1) % worldSize]! }));
    await Promise.all(ranks.map((rank) => rank.next()));
    const timings: RingTiming[] = [];
    for (const { bytes, dtype } of options.sizes) {
      const bufferBytes = Math.floor(bytes / 4) * 4;
      ranks.forEach((rank) => rank.process.send({ kind: 'run', bytes: bufferBytes, iterations: options.iterations + 1, dtype, chunkBytes: options.chunkBytes, zeroFraction: 0 }));
      const results = (await Promise.all(ranks.map((rank) => rank.next()))) as Array<Extract<FromRank, { kind: 'result' }>>;
      if (!results.every((result) => result.isCorrect)) throw new Error(`wrong all-reduce result for ${bufferBytes} bytes ${dtype}`);
      const perIteration = results[0]!.millis.map((_, i) => Math.max(...results.map((result) => result.millis[i]!))).slice(1);
      const sorted = [...perIteration].sort((a, b) => a - b);
      timings.push({ bufferBytes, dtype, wireBytes: dtype === 'bf16' ? bufferBytes / 2 : bufferBytes, seconds: sorted[Math.floor(sorted.length / 2)]! / 1000 });
    }
    return timings;
  } finally {
    for (const rank of ranks) {
      if (rank.process.exitCode === null && rank.process.connected) rank.process.send({ kind: 'exit' });
    }
    const stopped = Promise.all(ranks.map((rank) => (rank.process.exitCode === null ? once(rank.process, 'exit') : undefined)));
    const timer = setTimeout(() => ranks.forEach((rank) => rank.process.kill('SIGKILL')), 10_000);
    await stopped;
    clearTimeout(timer);
  }
}
