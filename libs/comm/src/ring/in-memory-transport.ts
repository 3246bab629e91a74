import { CommError } from '../comm-error.ts';
import { Mailbox } from './mailbox.ts';
import type { Transport } from './transport.ts';

export interface InMemoryRingOptions {
  readonly jobId?: string;
  readonly worldSize: number;
  readonly maxChunkBytes?: number;
  readonly lanes?: number;
}

/**
 * One process, `worldSize` ranks, frames handed over through the same codec and mailbox the gRPC
 * transport uses (only the socket is missing). Delivery is asynchronous, as on a network.
 */
export class InMemoryTransport implements Transport {
  readonly inbox: Mailbox;
  readonly receivedFrameOffset = 0;
  private right: InMemoryTransport | undefined;
  private isClosed = false;

  private constructor(
    readonly jobId: string,
    readonly rank: number,
    readonly worldSize: number,
    readonly maxChunkBytes: number,
    readonly lanes: number,
  ) {
    this.inbox = new Mailbox({ jobId, leftRank: (rank + worldSize - 1) % worldSize, maxPayloadBytes: maxChunkBytes });
  }

  static createRing(options: InMemoryRingOptions): InMemoryTransport[] {
    const { worldSize, jobId = 'in-memory', maxChunkBytes = 1 << 20, lanes = 2 } = options;
    if (!Number.isInteger(worldSize) || worldSize < 1) {
      throw new CommError('INVALID_ARGUMENT', `worldSize must be a positive integer, got ${worldSize}`);
    }
    const ring = Array.from({ length: worldSize }, (_, rank) => new InMemoryTransport(jobId, rank, worldSize, maxChunkBytes, lanes));
    ring.forEach((t, rank) => (t.right = ring[(rank + 1) % worldSize]));
    return ring;
  }

  async send(frame: Uint8Array, _lane: number, signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    signal.throwIfAborted();
    if (this.isClosed || this.right === undefined) {
      throw new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`);
    }
    if (this.right.isClosed) return; // a dead peer swallows frames; the receiver side times out
    this.right.inbox.deliver(frame);
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.inbox.fail(new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`));
  }
}
