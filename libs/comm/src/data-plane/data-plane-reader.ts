import {
  FRAME_HEADER_BYTES,
  HELLO_HEAD_BYTES,
  MAX_JOB_ID_BYTES,
  decodeFrameHeader,
  helloLength,
  verifyHello,
  type FrameHeader,
  type Hello,
} from './data-plane-frame.ts';
import { HelloRefusedError } from './data-plane-error.ts';

export interface ConnectionReaderOptions {
  readonly token: string;
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
 * bytes go": the HELLO, then for each frame its 40-byte header and then its payload, each payload
 * in a buffer of its own (offset 0 of a fresh allocation, so aligned for a Float32Array view).
 * Fed either by the socket reading straight into `region()` (no user-space copy) or, where that is
 * unavailable (TLS), by `push` copying from the socket's buffers once. After the HELLO it holds
 * (`isHeld`) until `release`, so frames wait, unread, until this rank has joined a ring.
 */
export class ConnectionReader {
  private readonly helloBytes = Buffer.allocUnsafe(HELLO_HEAD_BYTES + MAX_JOB_ID_BYTES + 32);
  private helloNeeded = HELLO_HEAD_BYTES;
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  private header: FrameHeader | undefined;
  private payload: Buffer | undefined;
  private fill = 0;
  private phase: 'hello' | 'header' | 'payload' = 'hello';
  private readonly pool = new PayloadPool(8);
  hello: Hello | undefined;
  isHeld = false;

  constructor(private readonly options: ConnectionReaderOptions) {}

  /** Where the next bytes go; never empty. */
  region(): Buffer {
    if (this.phase === 'hello') return this.helloBytes.subarray(this.fill, this.helloNeeded);
    if (this.phase === 'header') return this.head.subarray(this.fill);
    return this.payload!.subarray(this.fill);
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
      if (header.payloadBytes === 0) return this.options.onFrame(header, Buffer.alloc(0), () => undefined);
      this.header = header;
      this.payload = this.pool.take(header.payloadBytes);
      this.phase = 'payload';
      return;
    }
    if (this.fill < this.payload!.length) return;
    const [header, payload] = [this.header!, this.payload!];
    this.header = undefined;
    this.payload = undefined;
    this.fill = 0;
    this.phase = 'header';
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
    const hello = verifyHello(this.helloBytes.subarray(0, this.helloNeeded), this.options.token, this.options.nonce);
    if (hello === undefined) throw new HelloRefusedError('wrong token (HELLO MAC does not match)');
    this.hello = hello;
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
}
