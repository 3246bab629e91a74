import type { StallNotice } from '@tunefleet/proto';
import { ChunkRejectedError, type CommError } from '../comm-error.ts';
import { bytesPerElement, decodeFrame, type DecodedChunk, type DecodedFrame, type RingPhase } from './wire-codec.ts';

/** Identifies one chunk of one ring round of one collective. */
export interface ChunkKey {
  readonly step: number;
  readonly bucketId: number;
  readonly phase: RingPhase;
  readonly round: number;
  readonly chunkIndex: number;
}

export interface MailboxExpectations {
  readonly jobId: string;
  /** The only rank allowed to send to this one. */
  readonly leftRank: number;
  /**
   * The left neighbour's advertised address (host:port of its endpoint), when known: errors about
   * its inbound connection name it, not the ephemeral port the connection came from.
   */
  readonly leftAddress?: string;
  readonly maxPayloadBytes: number;
}

type Waiter = { resolve: (chunk: DecodedChunk) => void; reject: (error: unknown) => void };

function keyOf(k: ChunkKey): string {
  return `${k.step}/${k.bucketId}/${k.phase}/${k.round}/${k.chunkIndex}`;
}

function collectiveOf(step: number, bucketId: number): string {
  return `${step}/${bucketId}`;
}

/**
 * Where frames from the left neighbour land, whichever transport carried them. A frame that
 * arrives before the ring asks for it waits here; one the ring asks for before it arrives is
 * awaited. Validation (job, sender, duplicates, size limits) happens on delivery, so a bad frame
 * is refused to its sender with a clear message.
 */
export class Mailbox {
  private readonly arrived = new Map<string, DecodedChunk>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly notices = new Map<string, StallNotice>();
  private readonly noticeListeners = new Set<(notice: StallNotice) => void>();
  private readonly discarded = new Set<string>();
  private failure: CommError | undefined;
  private framesDelivered = 0;
  private unalignedPayloads = 0;

  constructor(readonly expect: MailboxExpectations) {}

  get deliveredCount(): number {
    return this.framesDelivered;
  }

  /** Chunks whose payload arrived misaligned and must be copied before use (should stay 0). */
  get unalignedPayloadCount(): number {
    return this.unalignedPayloads;
  }

  /** Decodes and files one frame; throws ChunkRejectedError if it is not acceptable. */
  deliver(bytes: Uint8Array): void {
    this.file(decodeFrame(bytes, { maxPayloadBytes: this.expect.maxPayloadBytes }));
  }

  /**
   * Files a chunk a transport decoded itself (the data plane: header checked, payload read into a
   * buffer of its own); validated exactly as `deliver` validates. Throws ChunkRejectedError.
   */
  deliverChunk(chunk: DecodedChunk): void {
    const expectedBytes = chunk.elementCount * bytesPerElement(chunk.dtype);
    // A zero-block payload is at most the dense size; its inside is checked where it is applied.
    const isSizeOk = chunk.encoding === 'zero-blocks' ? chunk.payload.byteLength <= expectedBytes : chunk.payload.byteLength === expectedBytes;
    if (!isSizeOk || expectedBytes > this.expect.maxPayloadBytes) {
      throw new ChunkRejectedError(
        `chunk payload of ${chunk.payload.byteLength} bytes, expected ${chunk.encoding === 'zero-blocks' ? 'at most ' : ''}${expectedBytes} (limit ${this.expect.maxPayloadBytes})`,
      );
    }
    this.file(chunk);
  }

  private file(frame: DecodedFrame): void {
    const { jobId, rank } = frame.kind === 'chunk' ? frame : frame.notice;
    if (jobId !== this.expect.jobId) {
      throw new ChunkRejectedError(`frame for job "${jobId}" reached a rank of job "${this.expect.jobId}"; check the worker's assignment`);
    }
    if (rank !== this.expect.leftRank) {
      throw new ChunkRejectedError(`frame from rank ${rank}, but only the left neighbour (rank ${this.expect.leftRank}) sends to this rank`);
    }
    this.framesDelivered++;
    if (frame.kind === 'stall') {
      this.notices.set(collectiveOf(frame.notice.step, frame.notice.bucketId), frame.notice);
      for (const listener of this.noticeListeners) listener(frame.notice);
      return;
    }
    if (frame.payload.byteOffset % bytesPerElement(frame.dtype) !== 0) this.unalignedPayloads++;
    if (this.discarded.has(collectiveOf(frame.step, frame.bucketId))) return;
    const key = keyOf(frame);
    const waiter = this.waiters.get(key);
    if (waiter !== undefined) {
      this.waiters.delete(key);
      waiter.resolve(frame);
      return;
    }
    if (this.arrived.has(key)) {
      throw new ChunkRejectedError(`duplicate chunk ${key} (step/bucket/phase/round/chunk) from rank ${rank}`);
    }
    this.arrived.set(key, frame);
  }

  /** Resolves with the chunk once it arrives; rejects with `signal.reason` on abort. */
  take(key: ChunkKey, signal: AbortSignal): Promise<DecodedChunk> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = keyOf(key);
    const ready = this.arrived.get(id);
    if (ready !== undefined) {
      this.arrived.delete(id);
      return Promise.resolve(ready);
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<DecodedChunk>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(id);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, {
        resolve: (chunk) => {
          signal.removeEventListener('abort', onAbort);
          resolve(chunk);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
    });
  }

  latestNotice(step: number, bucketId: number): StallNotice | undefined {
    return this.notices.get(collectiveOf(step, bucketId));
  }

  onStallNotice(listener: (notice: StallNotice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /** Forgets a finished or aborted collective; late frames for it are dropped. */
  discard(step: number, bucketId: number, isAborted: boolean): void {
    const prefix = `${collectiveOf(step, bucketId)}/`;
    for (const key of this.arrived.keys()) if (key.startsWith(prefix)) this.arrived.delete(key);
    this.notices.delete(collectiveOf(step, bucketId));
    if (isAborted) this.discarded.add(collectiveOf(step, bucketId));
  }

  /** The ring is broken (a neighbour lost, a stream refused): every current and future take rejects with `error`. */
  fail(error: CommError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  get isFailed(): boolean {
    return this.failure !== undefined;
  }
}
