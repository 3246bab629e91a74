import { DEFAULT_BUCKET_BYTES, planFlatBuckets } from './bucket-plan.ts';
import { ringAllReduce, DEFAULT_CHUNK_BYTES, type AddInto } from './ring-all-reduce.ts';
import type { Transport } from './transport.ts';
import type { WireDtype } from './wire-codec.ts';

export interface RingAllReducerOptions {
  /** Deadline of each bucket's collective (--collective-timeout-ms). */
  readonly timeoutMs: number;
  /** Bucket size; identical on every rank. Default 25 MiB, as PyTorch DDP. */
  readonly bucketBytes?: number;
  /** Wire dtype of the buckets; 'bf16' halves the bytes. Default 'f32'. */
  readonly dtype?: WireDtype;
  readonly chunkBytes?: number;
  /**
   * When the dtype is not f32, this many trailing elements still travel as f32, in a bucket of their
   * own (e.g. a loss sum and a count: bf16 holds integers exactly only up to 256). Default 0.
   */
  readonly exactTailElements?: number;
  /** The f32 reduction (native-kernels' `nativeAddInto()` when the addon is built); default a JS loop. */
  readonly addInto?: AddInto;
}

/** Totals since construction, and the latest call, for progress reports. */
export interface AllReduceTotals {
  readonly calls: number;
  readonly collectives: number;
  /** Bytes of f32 buffer all-reduced (the buffer sizes, not the wire bytes). */
  readonly bytes: number;
  readonly milliseconds: number;
  readonly lastBytes: number;
  readonly lastMilliseconds: number;
}

/**
 * `allReduce(buffer)` over a ring: splits the buffer into fixed-order buckets (the same on every
 * rank) and all-reduces them all at once (as DDP launches a bucket as soon as it is ready: the lanes
 * stay busy across bucket boundaries instead of draining and refilling the ring for each). Calls must
 * be made in the same order on every rank; each call's collectives are numbered by a counter all
 * ranks advance together. After any error the ring is unusable: close the transport and re-form.
 */
export class RingAllReducer {
  private sequence = 0;
  private totals = { calls: 0, collectives: 0, bytes: 0, milliseconds: 0, lastBytes: 0, lastMilliseconds: 0 };

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

  /** A zero-filled buffer the transport moves fastest (see Transport.allocate); ordinary memory otherwise. */
  allocate(length: number): Float32Array {
    return this.transport.allocate?.(length) ?? new Float32Array(length);
  }

  /** Sums `buffer` in place across the ring; `dtype` overrides the options' wire dtype for this call. */
  async allReduce(buffer: Float32Array, dtype: WireDtype = this.options.dtype ?? 'f32'): Promise<void> {
    const startedAt = performance.now();
    const step = this.sequence++;
    const tail = dtype === 'f32' ? 0 : Math.min(this.options.exactTailElements ?? 0, buffer.length);
    const body = buffer.length - tail;
    const buckets = planFlatBuckets(body, this.options.bucketBytes ?? DEFAULT_BUCKET_BYTES).map((b) => ({ ...b, dtype }));
    if (tail > 0) buckets.push({ bucketId: buckets.length, offset: body, length: tail, firstTensor: 0, endTensor: 0, dtype: 'f32' });
    await Promise.all(
      buckets.map(async (bucket) => {
        await ringAllReduce(this.transport, buffer.subarray(bucket.offset, bucket.offset + bucket.length), {
          step,
          bucketId: bucket.bucketId,
          timeoutMs: this.options.timeoutMs,
          dtype: bucket.dtype,
          chunkBytes: this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
          ...(this.options.addInto ? { addInto: this.options.addInto } : {}),
        });
        this.totals.collectives++;
      }),
    );
    const milliseconds = performance.now() - startedAt;
    this.totals.calls++;
    this.totals.bytes += buffer.byteLength;
    this.totals.milliseconds += milliseconds;
    this.totals.lastBytes = buffer.byteLength;
    this.totals.lastMilliseconds = milliseconds;
  }
}
