// Ring all-reduce (GrpcCollectiveEndpoint) between real processes on loopback, over the TCP data
// plane and over pure gRPC, next to raw node:net TCP between two processes measured in the same
// run. Figures as nccl-tests reports them:
//   algbw = bytes / time,  busbw = algbw * 2(N-1)/N  (comparable with the link's bandwidth).
// Usage: npx tsx tools/bench/bench-allreduce.ts [--ranks 2,4] [--sizes-mb 4,40,400] [--dtype f32|bf16]
//        [--lanes 2] [--chunk-kb 1024] [--iterations 20] [--data-plane tcp,grpc,shm] [--add native|js] [--zero-fraction 0]
// --zero-fraction F: that fraction of every buffer is +0 (in two runs), as most of an embedding
// table's gradient is; the data plane then sends those blocks as a bitmask (zero-blocks.ts).
// --add native|js: the f32 reduction and the zero-block scan in native-kernels' addon (as workers
// use them, when the addon is built) or the JS loops.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { WireDtype } from '@tunefleet/comm';
import { nativeAddInto } from '@tunefleet/native-kernels';
import type { FromRank, ToRank } from './allreduce/protocol.ts';

const { values: args } = parseArgs({
  options: {
    ranks: { type: 'string', default: '2,4' },
    'sizes-mb': { type: 'string', default: '4,40,400' },
    dtype: { type: 'string', default: 'f32' },
    lanes: { type: 'string', default: '2' },
    'chunk-kb': { type: 'string', default: '1024' },
    iterations: { type: 'string', default: '20' },
    'data-plane': { type: 'string', default: 'tcp,grpc' },
    add: { type: 'string', default: 'native' },
    'zero-fraction': { type: 'string', default: '0' },
  },
});
const MB = 1_000_000;
const rankCounts = args.ranks.split(',').map(Number);
const sizesMb = args['sizes-mb'].split(',').map(Number);
const dtype = args.dtype as WireDtype;
const dataPlanes = args['data-plane'].split(',') as Array<'tcp' | 'grpc' | 'shm'>;
for (const plane of dataPlanes) if (!['tcp', 'grpc', 'shm'].includes(plane)) throw new Error(`--data-plane takes tcp, grpc and shm, got "${plane}"`);
const chunkBytes = Number(args['chunk-kb']) * 1024;
const zeroFraction = Number(args['zero-fraction']);
if (!(zeroFraction >= 0 && zeroFraction < 1)) throw new Error(`--zero-fraction must be in [0, 1), got ${args['zero-fraction']}`);
// Median of --iterations, but at most ~4 GB moved per row (so 400 MB rows run 10).
const iterationsFor = (bytes: number): number => Math.max(2, Math.min(Number(args.iterations), Math.ceil((4000 * MB) / bytes)));
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function child(file: string, argv: string[]): ChildProcess {
  return fork(here(file), argv, { execArgv: [...process.execArgv, ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** MB/s of one node:net stream from this process to a child, median of `rounds` rounds of `bytes`. */
async function rawTcpMbPerSecond(bytes: number, rounds: number): Promise<number> {
  const sink = child('./allreduce/tcp-sink.ts', [String(bytes)]);
  const [{ port }] = (await once(sink, 'message')) as [{ port: number }];
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const block = Buffer.alloc(1 << 20, 7);
  const rates: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const acked = once(socket, 'data');
    const started = performance.now();
    for (let sent = 0; sent < bytes; ) {
      const piece = block.subarray(0, Math.min(block.length, bytes - sent));
      sent += piece.length;
      if (!socket.write(piece)) await once(socket, 'drain');
    }
    await acked;
    if (round > 0) rates.push(bytes / MB / ((performance.now() - started) / 1000)); // round 0 warms up
  }
  socket.destroy();
  sink.send('exit');
  await once(sink, 'exit');
  return median(rates);
}

interface Rank {
  readonly process: ChildProcess;
  next(): Promise<FromRank>;
  send(message: ToRank): void;
}

function startRank(dataPlane: 'tcp' | 'grpc' | 'shm'): Rank {
  const processHandle = child('./allreduce/rank-process.ts', [args.lanes, String(chunkBytes), dataPlane, args.add]);
  const inbox: FromRank[] = [];
  const waiting: Array<(m: FromRank) => void> = [];
  processHandle.on('message', (m: FromRank) => {
    if (m.kind === 'error') {
      console.error(`rank process failed: ${m.message}`);
      process.exit(1);
    }
    const waiter = waiting.shift();
    if (waiter) waiter(m);
    else inbox.push(m);
  });
  return {
    process: processHandle,
    next: () => (inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    send: (message) => processHandle.send(message),
  };
}

async function benchRing(worldSize: number, dataPlane: 'tcp' | 'grpc' | 'shm'): Promise<Array<{ bytes: number; millis: number }>> {
  const ranks = Array.from({ length: worldSize }, () => startRank(dataPlane));
  const addresses = await Promise.all(ranks.map(async (r) => ((await r.next()) as Extract<FromRank, { kind: 'listening' }>).address));
  ranks.forEach((r, rank) => r.send({ kind: 'join', rank, worldSize, rightAddress: addresses[(rank + 1) % worldSize]! }));
  await Promise.all(ranks.map((r) => r.next()));
  const rows: Array<{ bytes: number; millis: number }> = [];
  for (const sizeMb of sizesMb) {
    const bytes = Math.floor((sizeMb * MB) / 4) * 4;
    const iterations = iterationsFor(bytes) + 1; // the first is a warm-up
    ranks.forEach((r) => r.send({ kind: 'run', bytes, iterations, dtype, chunkBytes, zeroFraction }));
    const results = (await Promise.all(ranks.map((r) => r.next()))) as Array<Extract<FromRank, { kind: 'result' }>>;
    if (!results.every((r) => r.isCorrect)) throw new Error(`wrong all-reduce result at ${worldSize} ranks, ${sizeMb} MB`);
    // An iteration takes as long as its slowest rank.
    const perIteration = results[0]!.millis.map((_, i) => Math.max(...results.map((r) => r.millis[i]!))).slice(1);
    rows.push({ bytes, millis: median(perIteration) });
  }
  ranks.forEach((r) => r.send({ kind: 'exit' }));
  await Promise.all(ranks.map((r) => once(r.process, 'exit')));
  return rows;
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${os.cpus().length} x ${cpu}, node ${process.version}, loopback 127.0.0.1, load avg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const addName = args.add === 'js' || nativeAddInto() === undefined ? 'JS loop' : 'native addInto';
console.log(
  `ring all-reduce (@tunefleet/comm): dtype ${dtype}, ${args.lanes} lanes, chunk ${args['chunk-kb']} KiB, data plane ${dataPlanes.join(' and ')}, ` +
    `f32 add: ${addName}, ${Math.round(zeroFraction * 100)}% of each buffer +0`,
);
const tcpBefore = await rawTcpMbPerSecond(40 * MB, 5);
const table: string[] = [];
const busbws: number[] = [];
for (const dataPlane of dataPlanes) {
  for (const worldSize of rankCounts) {
    for (const { bytes, millis } of await benchRing(worldSize, dataPlane)) {
      const algbw = bytes / MB / (millis / 1000);
      const busbw = (algbw * 2 * (worldSize - 1)) / worldSize;
      const cells = [dataPlane, worldSize, (bytes / MB).toFixed(0), millis.toFixed(1), algbw.toFixed(0), busbw.toFixed(0)];
      table.push(cells.map((c) => String(c).padStart(11)).join(''));
      busbws.push(busbw);
    }
  }
}
const tcpAfter = await rawTcpMbPerSecond(40 * MB, 5);
const tcp = (tcpBefore + tcpAfter) / 2;
console.log(`raw TCP (node:net, 1 stream, 2 processes, 40 MB rounds): ${tcpBefore.toFixed(0)} MB/s before, ${tcpAfter.toFixed(0)} MB/s after; mean ${tcp.toFixed(0)} MB/s`);
console.log(['plane', 'ranks', 'MB', 'time ms', 'algbw MB/s', 'busbw MB/s', 'busbw/TCP'].map((c) => c.padStart(11)).join(''));
table.forEach((row, i) => console.log(`${row}${((busbws[i]! / tcp) * 100).toFixed(0).padStart(9)}%`));
