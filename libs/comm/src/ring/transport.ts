import type { Mailbox } from './mailbox.ts';
import type { ChunkHeader, WireDtype } from './wire-codec.ts';

/**
 * What the ring needs from a network: send a frame (an encoded `tunefleet.v1.ExchangeRequest`) to
 * the right neighbour, and a mailbox where the left neighbour's frames land. Implementations:
 * InMemoryTransport (tests, one process) and GrpcTransport (processes and machines).
 */
export interface Transport {
  readonly jobId: string;
  readonly rank: number;
  readonly worldSize: number;
  /** Largest chunk payload the receiving side accepts, in bytes. */
  readonly maxChunkBytes: number;
  /** Parallel streams to the right neighbour; the ring spreads chunks over them. */
  readonly lanes: number;
  readonly inbox: Mailbox;
  /**
   * Byte offset (mod 4) at which the receiving side's buffer holds a frame, so the encoder can pad
   * the payload into alignment and the receiver reduces straight from it (no copy).
   */
  readonly receivedFrameOffset: number;
  /**
   * Queues `frame` on stream `lane % lanes`. Resolves once the transport accepted it (not when it
   * was delivered), waiting while the stream is backed up; rejects with a CommError when the right
   * neighbour refused the stream or is unreachable, or with `signal.reason` on abort.
   */
  send(frame: Uint8Array, lane: number, signal: AbortSignal): Promise<void>;
  /**
   * Optional fast path for chunks: sends `values` as `dtype` without encoding a protobuf frame
   * first. It may read `values` until the promise settles (so the caller must not change them
   * before), and with bf16 and `isRoundingSource` rounds them in place as encodeChunkFrame does.
   * Transports without it get frames from encodeChunkFrame through `send`.
   */
  sendChunk?(header: ChunkHeader, values: Float32Array, dtype: WireDtype, isRoundingSource: boolean, lane: number, signal: AbortSignal): Promise<void>;
  /**
   * Optional: a zero-filled buffer for allReduce that this transport moves fastest (the gRPC
   * transport's shared memory, read in place by a neighbour on the same machine).
   */
  allocate?(length: number): Float32Array;
  /**
   * Optional: resolves once the right neighbour no longer reads this rank's memory for the
   * collective (step, bucketId); the ring awaits it before returning, as the caller then overwrites
   * the buffer. Transports that always copy (sockets, in-memory) need none.
   */
  settle?(step: number, bucketId: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
