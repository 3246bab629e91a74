import { DEFAULT_BUCKET_BYTES, planFlatBuckets } from './bucket-plan.ts';
import { ringAllReduce, DEFAULT_CHUNK_BYTES } from './ring-all-reduce.ts';
import type { Transport } from './transport.ts';
import type { WireDtype } from './wire-codec.ts';

export interface RingAllReducerOptions {
  /** Deadline of each bucket's collective (--collective-timeout-ms). */
  readonly timeoutMs: number;
  /** Bucket size; identical on every rank. Default 25 MiB, as PyTorch DDP. */
  readonly bucketBytes?: number;
  readonly dtype?: WireDtype;
  readonly chunkBytes?: number;
}

export interface AllReduceTotals {
  readonly collectives: number;
  /** Bytes of f32 gradient all-reduced (the buffer sizes, not the wire bytes). */
  readonly bytes: number;
  readonly milliseconds: number;
}

/**
 * `allReduce(buffer)` over a ring: splits the buffer into fixed-order buckets (the same on every
 * rank) and all-reduces them one after another. Structurally a trainer `GradientSync`. Calls must
 * be made in the same order on every rank; each bucket's collective is numbered by a counter all
 * ranks advance together. After any error the ring is unusable: close the transport and re-form.
 */
export class RingAllReducer {
  private sequence = 0;
  private totals = { collectives: 0, bytes: 0, milliseconds: 0 };

  constructor(
    private readonly transport: Transport,
    private readonly options: RingAllReducerOptions,
  ) {}

  get rank(): number {
    return this.transport.rank;
  }

  get worldSize(): number {
    return this.transport.worldSize;
  }

  get stats(): AllReduceTotals {
    return { ...this.totals };
  }

  async allReduce(buffer: Float32Array): Promise<void> {
    const startedAt = performance.now();
    const step = this.sequence++;
    for (const bucket of planFlatBuckets(buffer.length, this.options.bucketBytes ?? DEFAULT_BUCKET_BYTES)) {
      await ringAllReduce(this.transport, buffer.subarray(bucket.offset, bucket.offset + bucket.length), {
        step,
        bucketId: bucket.bucketId,
        timeoutMs: this.options.timeoutMs,
        dtype: this.options.dtype,
        chunkBytes: this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
      });
      this.totals.collectives++;
    }
    this.totals.bytes += buffer.byteLength;
    this.totals.milliseconds += performance.now() - startedAt;
  }
}
