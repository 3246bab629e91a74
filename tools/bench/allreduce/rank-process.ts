// One rank of the all-reduce benchmark: a GrpcCollectiveEndpoint in its own process.
// argv: lanes, maxChunkBytes, dataPlane ('tcp' | 'grpc' | 'shm': tcp plus shared memory, the buffer
// allocated by the transport so the neighbour reads it in place), add ('native' | 'js').
import { GrpcCollectiveEndpoint, ringAllReduce, type Transport } from '@tunefleet/comm';
import { nativeAddInto, nativeNonzeroBlocks, nativeSharedMemory } from '@tunefleet/native-kernels';
import { BENCH_TOKEN, type FromRank, type ToRank } from './protocol.ts';

const lanes = Number(process.argv[2] ?? '2');
const maxChunkBytes = Number(process.argv[3] ?? String(1 << 20));
const dataPlane = process.argv[4] === 'grpc' ? 'grpc' : 'tcp';
const sharedMemory = process.argv[4] === 'shm' ? nativeSharedMemory() : undefined;
if (process.argv[4] === 'shm' && sharedMemory === undefined) throw new Error('--data-plane shm needs the native-kernels addon');
// The reduction tunefleet workers use: the addon's vectorised add when built ('js' forces the JS loop).
const addInto = process.argv[5] === 'js' ? undefined : nativeAddInto();
const reply = (message: FromRank): void => {
  process.send!(message);
};

const nonzeroBlocks = process.argv[5] === 'js' ? undefined : nativeNonzeroBlocks();
const endpoint = await GrpcCollectiveEndpoint.listen({
  token: BENCH_TOKEN,
  lanes,
  maxChunkBytes,
  dataPlane,
  ...(nonzeroBlocks ? { nonzeroBlocks } : {}),
  ...(sharedMemory ? { sharedMemory } : {}),
});
let transport: Transport | undefined;
let step = 0;
reply({ kind: 'listening', address: endpoint.address });

process.on('disconnect', () => process.exit(0)); // the parent is gone
process.on('message', (message: ToRank) => {
  void handle(message).catch((error: unknown) => reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) }));
});

async function handle(message: ToRank): Promise<void> {
  if (message.kind === 'join') {
    transport = endpoint.join({ jobId: 'bench', rank: message.rank, worldSize: message.worldSize, rightAddress: message.rightAddress });
    reply({ kind: 'joined' });
  } else if (message.kind === 'run') {
    const t = transport!;
    const buffer = t.allocate?.(message.bytes / 4) ?? new Float32Array(message.bytes / 4);
    const millis: number[] = [];
    let isCorrect = true;
    for (let i = 0; i < message.iterations; i++) {
      buffer.fill(t.rank + 1);
      // Zeros either side of the middle, leaving the elements the check below reads.
      const half = Math.floor((buffer.length * message.zeroFraction) / 2);
      const middle = buffer.length >> 1;
      buffer.fill(0, Math.max(1, middle - half), middle);
      buffer.fill(0, middle + 1, Math.min(buffer.length - 1, middle + 1 + half));
      const started = performance.now();
      await ringAllReduce(t, buffer, {
        step: step++,
        bucketId: 0,
        timeoutMs: 600_000,
        dtype: message.dtype,
        chunkBytes: message.chunkBytes,
        ...(addInto ? { addInto } : {}),
      });
      millis.push(performance.now() - started);
      const expected = (t.worldSize * (t.worldSize + 1)) / 2;
      isCorrect &&= buffer[0] === expected && buffer[buffer.length - 1] === expected && buffer[buffer.length >> 1] === expected;
    }
    reply({ kind: 'result', rank: t.rank, millis, isCorrect });
  } else {
    await (transport ?? endpoint).close();
    process.exit(0);
  }
}
