import { ChunkRejectedError } from '../comm-error.ts';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAC_BYTES,
  FrameMacs,
  HELLO_HEAD_BYTES,
  MAX_JOB_ID_BYTES,
  decodeFrameHeader,
  helloLength,
  parseHello,
  verifyHello,
  type FrameHeader,
  type Hello,
} from './data-plane-frame.ts';
import { HelloRefusedError } from './data-plane-error.ts';

/** Who may send on this connection: the assigned left neighbour of this job, and the key of that pair. */
export interface ExpectedSender {
  readonly jobId: string;
  readonly rank: number;
  readonly receiveKey: Uint8Array;
}

export interface ConnectionReaderOptions {
  readonly nonce: Buffer;
  readonly maxPayloadBytes: number;
  readonly onFrame: (header: FrameHeader, payload: Buffer, release: () => void) => void;
}

/** Payload buffers of one connection, reused once the ring has reduced from them (fewer allocations, less GC). */
class PayloadPool {
  private readonly free: ArrayBuffer[] = [];
  constructor(private readonly maxKept: number) {}

  take(bytes: number): Buffer {
    const reusable = this.free.pop();
    if (reusable !== undefined && reusable.byteLength >= bytes) return Buffer.from(reusable, 0, bytes);
    return Buffer.allocUnsafeSlow(bytes);
  }

  give(payload: Buffer): void {
    if (this.free.length < this.maxKept) this.free.push(payload.buffer as ArrayBuffer);
  }
}

/**
 * The receiving side of one data-plane connection as a state machine over "where do the next
 * bytes go": the HELLO, then for each frame its 40-byte header, its payload and its MAC, each payload
 * in a buffer of its own (offset 0 of a fresh allocation, so aligned for a Float32Array view).
 * Fed either by the socket reading straight into `region()` (no user-space copy) or, where that is
 * unavailable (TLS), by `push` copying from the socket's buffers once. After the HELLO it holds
 * (`isHeld`) until `release`, so frames wait, unread, until this rank has joined a ring.
 */
export class ConnectionReader {
  private readonly helloBytes = Buffer.allocUnsafe(HELLO_HEAD_BYTES + MAX_JOB_ID_BYTES + 32);
  private helloNeeded = HELLO_HEAD_BYTES;
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private readonly macBytes = Buffer.allocUnsafe(FRAME_MAC_BYTES);
  private header: FrameHeader | undefined;
  private payload: Buffer | undefined;
  private fill = 0;
  private phase: 'hello' | 'header' | 'payload' | 'mac' = 'hello';
  private readonly pool = new PayloadPool(8);
  private macs: FrameMacs | undefined;
  /** What the HELLO claims; trusted only after `authenticate`. */
  hello: Hello | undefined;
  isHeld = false;

  constructor(private readonly options: ConnectionReaderOptions) {}

  /** Where the next bytes go; never empty. */
  region(): Buffer {
    if (this.phase === 'hello') return this.helloBytes.subarray(this.fill, this.helloNeeded);
    if (this.phase === 'header') return this.head.subarray(this.fill);
    if (this.phase === 'mac') return this.macBytes.subarray(this.fill);
    return this.payload!.subarray(this.fill);
  }

  /**
   * Checks the HELLO (held since it arrived) against the sender this rank expects, once it has
   * joined a ring; throws HelloRefusedError saying what did not match. Frames are read after it.
   */
  authenticate(expected: ExpectedSender): void {
    const hello = this.hello!;
    if (hello.jobId !== expected.jobId) throw new HelloRefusedError(`HELLO for job "${hello.jobId.slice(0, 100)}", this rank is in job "${expected.jobId}"`);
    if (hello.rank !== expected.rank) {
      throw new HelloRefusedError(`HELLO claims rank ${hello.rank}, but only the left neighbour (rank ${expected.rank}) sends to this rank`);
    }
    if (!verifyHello(this.helloBytes.subarray(0, this.helloNeeded), expected.receiveKey, this.options.nonce)) {
      throw new HelloRefusedError(
        `HELLO MAC does not match the key of rank ${expected.rank} -> this rank: not the assigned left neighbour of this job and ring (a wrong or stale key)`,
      );
    }
    this.macs = new FrameMacs(expected.receiveKey, this.options.nonce, hello.lane);
  }

  /**
   * `count` bytes were written at the start of `region()`. Throws HelloRefusedError on a bad
   * HELLO and ChunkRejectedError on a bad frame header (before any of its payload is read).
   */
  advance(count: number): void {
    this.fill += count;
    if (this.phase === 'hello') return this.advanceHello();
    if (this.phase === 'header') {
      if (this.fill < FRAME_HEADER_BYTES) return;
      const header = decodeFrameHeader(this.head, this.options.maxPayloadBytes);
      this.fill = 0;
      this.header = header;
      this.payload = header.payloadBytes === 0 ? Buffer.alloc(0) : this.pool.take(header.payloadBytes);
      this.phase = header.payloadBytes === 0 ? 'mac' : 'payload';
      return;
    }
    if (this.phase === 'payload') {
      if (this.fill < this.payload!.length) return;
      this.fill = 0;
      this.phase = 'mac';
      return;
    }
    if (this.fill < FRAME_MAC_BYTES) return;
    const [header, payload] = [this.header!, this.payload!];
    this.header = undefined;
    this.payload = undefined;
    this.fill = 0;
    this.phase = 'header';
    if (!this.macs!.verifyNext(this.head, payload, this.macBytes)) {
      throw new ChunkRejectedError('frame MAC does not match: the frame was altered, replayed or not sent by the assigned left neighbour');
    }
    if (payload.length === 0) return this.options.onFrame(header, payload, () => undefined);
    let isReleased = false;
    this.options.onFrame(header, payload, () => {
      if (isReleased) return;
      isReleased = true;
      this.pool.give(payload);
    });
  }

  private advanceHello(): void {
    if (this.fill < this.helloNeeded) return;
    if (this.helloNeeded === HELLO_HEAD_BYTES) {
      try {
        this.helloNeeded = helloLength(this.helloBytes);
      } catch (error) {
        throw new HelloRefusedError(`malformed HELLO: ${(error as Error).message}`, { cause: error });
      }
      if (this.fill < this.helloNeeded) return;
    }
    this.hello = parseHello(this.helloBytes.subarray(0, this.helloNeeded));
    this.isHeld = true;
    this.phase = 'header';
    this.fill = 0;
  }

  /** Copying feed: consumes `data` until done or held; returns what is left over (held), if anything. */
  push(data: Buffer): Buffer | undefined {
    let at = 0;
    while (at < data.length) {
      if (this.isHeld) return data.subarray(at);
      const target = this.region();
      const count = Math.min(target.length, data.length - at);
      data.copy(target, 0, at, at + count);
      at += count;
      this.advance(count);
    }
    return undefined;
  }

  /** True between frames (nothing half-read). */
  get isIdle(): boolean {
    return this.phase === 'header' && this.fill === 0;
  }

  /** What is half-read, for a deadline's message: "the HELLO" or "frame bytes 12 of 40 (header)". */
  describePartial(): string {
    if (this.phase === 'hello') return `HELLO bytes ${this.fill} of ${this.helloNeeded}`;
    if (this.phase === 'header') return `header bytes ${this.fill} of ${FRAME_HEADER_BYTES}`;
    if (this.phase === 'mac') return `MAC bytes ${this.fill} of ${FRAME_MAC_BYTES}`;
    return `payload bytes ${this.fill} of ${this.payload!.length}`;
  }
}
