import { setMaxListeners } from 'node:events';
import type { StallNotice } from '@tunefleet/proto';
import { addBf16IntoF32, bf16ToF32 } from './bf16.ts';
import { ChunkRejectedError, CollectiveTimeoutError, CommError } from '../comm-error.ts';
import type { ChunkKey } from './mailbox.ts';
import type { Transport } from './transport.ts';
import { applyZeroBlocks } from './zero-blocks.ts';
import { bytesPerElement, encodeChunkFrame, encodeStallNoticeFrame, type DecodedChunk, type RingPhase, type WireDtype } from './wire-codec.ts';

/** 1 MiB: large enough that per-frame costs vanish, small enough to pipeline rounds. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

export interface AllReduceOptions {
  /** Sequence number of the collective; every rank passes the same one. */
  readonly step: number;
  readonly bucketId: number;
  /** Deadline for the whole collective. */
  readonly timeoutMs: number;
  /** Wire dtype; 'bf16' halves the bytes and rounds every rank's result identically. */
  readonly dtype?: WireDtype;
  /** Payload bytes per frame; clipped to the transport's limit. Must match on every rank. */
  readonly chunkBytes?: number;
  /** After this long without finishing, tell the right neighbour whom we wait on. Default timeoutMs / 4. */
  readonly stallNoticeMs?: number;
  /**
   * The f32 reduction, `target += source` (same length, no overlap), e.g. native-kernels'
   * vectorised `nativeAddInto()`. Default: a JS loop.
   */
  readonly addInto?: AddInto;
}

export type AddInto = (target: Float32Array, source: Float32Array) => void;

interface Layout {
  readonly worldSize: number;
  readonly chunksPerSegment: number;
  readonly segmentStart: (segment: number) => number;
  readonly segmentEnd: (segment: number) => number;
}

/** Segment k = [floor(kL/N), floor((k+1)L/N)); each split into the same number of chunks. */
function layoutOf(length: number, worldSize: number, chunkElements: number): Layout {
  const segmentStart = (k: number): number => Math.floor((k * length) / worldSize);
  const longest = Math.ceil(length / worldSize);
  return {
    worldSize,
    chunksPerSegment: Math.max(1, Math.ceil(longest / chunkElements)),
    segmentStart,
    segmentEnd: (k) => segmentStart(k + 1),
  };
}

function chunkView(buffer: Float32Array, layout: Layout, segment: number, chunk: number): Float32Array {
  const start = layout.segmentStart(segment);
  const size = layout.segmentEnd(segment) - start;
  const K = layout.chunksPerSegment;
  return buffer.subarray(start + Math.floor((chunk * size) / K), start + Math.floor(((chunk + 1) * size) / K));
}

/** Kept monomorphic and tiny so V8 optimises it to a tight loop. */
function addF32(target: Float32Array, source: Float32Array): void {
  const n = target.length;
  for (let i = 0; i < n; i++) target[i] = target[i]! + source[i]!;
}

/** A fresh, aligned copy (Buffer#slice would return a view). */
function copyOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

function apply(chunk: DecodedChunk, target: Float32Array, isSum: boolean, key: ChunkKey, dtype: WireDtype, addInto: AddInto): void {
  if (chunk.dtype !== dtype) {
    throw new ChunkRejectedError(
      `bucket ${key.bucketId} step ${key.step}: rank ${chunk.rank} sent ${chunk.dtype}, this rank uses ${dtype}; ` +
        'every rank must use the same gradient dtype',
    );
  }
  if (chunk.elementCount !== target.length) {
    throw new ChunkRejectedError(
      `bucket ${key.bucketId} step ${key.step} ${key.phase} round ${key.round} chunk ${key.chunkIndex}: rank ${chunk.rank} sent ` +
        `${chunk.elementCount} elements, this rank expected ${target.length}; ranks disagree on the bucket plan ` +
        `(same model, bucketBytes and chunkBytes on every rank?)`,
    );
  }
  const { payload } = chunk;
  if (chunk.encoding === 'zero-blocks') return applyZeroBlocks(payload, target, isSum);
  if (chunk.dtype === 'f32') {
    const source =
      payload.byteOffset % 4 === 0 ? new Float32Array(payload.buffer, payload.byteOffset, chunk.elementCount) : new Float32Array(copyOf(payload));
    if (isSum) addInto(target, source);
    else target.set(source);
    return;
  }
  const source =
    payload.byteOffset % 2 === 0 ? new Uint16Array(payload.buffer, payload.byteOffset, chunk.elementCount) : new Uint16Array(copyOf(payload));
  if (isSum) addBf16IntoF32(source, target);
  else bf16ToF32(source, target);
}

/**
 * Sums `buffer` in place across every rank of `transport`'s ring: reduce-scatter, then
 * all-gather, each N-1 rounds (Patarasuk & Yuan 2009). Every rank sends and receives
 * 2(N-1)/N of the buffer. Rounds are pipelined per chunk: chunk c of round r+1 leaves as soon as
 * chunk c of round r has arrived, so all lanes stay busy. Every rank ends with bitwise-identical
 * values (each segment is summed once, then broadcast).
 *
 * Throws CollectiveTimeoutError (naming the ranks that never sent) when `timeoutMs` passes, a
 * ChunkRejectedError on a size mismatch, or the transport's error when a peer is unreachable.
 */
export async function ringAllReduce(transport: Transport, buffer: Float32Array, options: AllReduceOptions): Promise<void> {
  const { rank, worldSize } = transport;
  if (worldSize === 1) return;
  const dtype = options.dtype ?? 'f32';
  const addInto = options.addInto ?? addF32;
  const chunkBytes = Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, transport.maxChunkBytes);
  const chunkElements = Math.floor(chunkBytes / bytesPerElement(dtype));
  if (chunkElements < 1) throw new CommError('INVALID_ARGUMENT', `chunkBytes ${chunkBytes} holds no ${dtype} element`);
  const layout = layoutOf(buffer.length, worldSize, chunkElements);
  const K = layout.chunksPerSegment;
  const mod = (x: number): number => ((x % worldSize) + worldSize) % worldSize;
  const leftRank = mod(rank - 1);
  const { step, bucketId, timeoutMs } = options;
  const { jobId, inbox } = transport;

  const controller = new AbortController();
  const { signal } = controller;
  setMaxListeners(0, signal); // one listener per waiting chunk: many, by design
  const pending = new Map<string, ChunkKey>();
  let received = 0;
  let suspect = leftRank;
  let isNoticeSent = false;
  const startedAt = Date.now();

  const sendNotice = (): void => {
    const notice: StallNotice = { jobId, step, bucketId, rank, waitingOnRank: suspect, waitedMs: Date.now() - startedAt };
    isNoticeSent = true;
    // Best effort: the right neighbour may be the dead one.
    transport.send(encodeStallNoticeFrame(notice), 0, signal).catch(() => undefined);
  };
  const onNotice = (notice: StallNotice): void => {
    if (notice.step !== step || notice.bucketId !== bucketId || notice.waitingOnRank === rank || signal.aborted) return;
    if (notice.waitingOnRank === suspect) return;
    suspect = notice.waitingOnRank; // the left neighbour is alive and itself waiting on `suspect`
    if (isNoticeSent) sendNotice();
  };
  const earlier = inbox.latestNotice(step, bucketId);
  if (earlier !== undefined) onNotice(earlier);
  const unsubscribe = inbox.onStallNotice(onNotice);

  const timeoutError = (): CollectiveTimeoutError => {
    const order = (k: ChunkKey): number => (k.phase === 'reduce-scatter' ? 0 : worldSize) + k.round;
    const first = [...pending.values()].sort((a, b) => order(a) - order(b))[0];
    return new CollectiveTimeoutError({
      step,
      bucketId,
      timeoutMs,
      rank,
      waitedOnRank: leftRank,
      silentRanks: [suspect],
      firstMissing: first === undefined ? 'sending to its right neighbour' : `${first.phase} round ${first.round}`,
      missingChunks: 2 * (worldSize - 1) * K - received,
      expectedChunks: 2 * (worldSize - 1) * K,
    });
  };
  const deadline = setTimeout(() => controller.abort(timeoutError()), timeoutMs);
  const noticeTimer = setTimeout(sendNotice, options.stallNoticeMs ?? Math.max(1, Math.floor(timeoutMs / 4)));

  const send = async (phase: RingPhase, round: number, chunkIndex: number, segment: number): Promise<void> => {
    const values = chunkView(buffer, layout, segment, chunkIndex);
    const isRoundingSource = phase === 'all-gather' && round === 0;
    const header = { jobId, step, bucketId, phase, round, chunkIndex, rank };
    if (transport.sendChunk !== undefined) return transport.sendChunk(header, values, dtype, isRoundingSource, chunkIndex, signal);
    const frame = encodeChunkFrame(header, values, dtype, isRoundingSource, transport.receivedFrameOffset);
    await transport.send(frame, chunkIndex, signal);
  };
  const receive = async (phase: RingPhase, round: number, chunkIndex: number, segment: number): Promise<void> => {
    const key: ChunkKey = { step, bucketId, phase, round, chunkIndex };
    const id = `${phase}/${round}/${chunkIndex}`;
    pending.set(id, key);
    const chunk = await inbox.take(key, signal);
    pending.delete(id);
    received++;
    apply(chunk, chunkView(buffer, layout, segment, chunkIndex), phase === 'reduce-scatter', key, dtype, addInto);
    chunk.release?.();
  };
  // The segment received in one round is the one sent in the next (see the module comment).
  const pipeline = async (c: number): Promise<void> => {
    await send('reduce-scatter', 0, c, rank);
    for (let round = 0; round < worldSize - 1; round++) {
      const segment = mod(rank - round - 1);
      await receive('reduce-scatter', round, c, segment);
      if (round < worldSize - 2) await send('reduce-scatter', round + 1, c, segment);
      else await send('all-gather', 0, c, segment);
    }
    for (let round = 0; round < worldSize - 1; round++) {
      const segment = mod(rank - round);
      await receive('all-gather', round, c, segment);
      if (round < worldSize - 2) await send('all-gather', round + 1, c, segment);
    }
  };

  try {
    await Promise.all(
      Array.from({ length: K }, (_, c) =>
        pipeline(c).catch((error: unknown) => {
          if (!signal.aborted) controller.abort(error);
          throw signal.reason;
        }),
      ),
    );
    await transport.settle?.(step, bucketId, signal);
  } finally {
    clearTimeout(deadline);
    clearTimeout(noticeTimer);
    unsubscribe();
    inbox.discard(step, bucketId, signal.aborted);
    if (!signal.aborted) controller.abort(new CommError('TRANSPORT_CLOSED', 'collective finished'));
  }
}
