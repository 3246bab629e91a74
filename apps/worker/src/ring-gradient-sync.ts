import { DEFAULT_BUCKET_BYTES, DEFAULT_CHUNK_BYTES, planFlatBuckets, ringAllReduce, type AddInto, type Transport, type WireDtype } from '@tunefleet/comm';
import { SYNC_TRAILER_LENGTH, type GradientSync } from '@tunefleet/trainer';

export interface RingGradientSyncOptions {
  /** Deadline of each bucket's collective (the job's collective_timeout_ms). */
  readonly timeoutMs: number;
  /** Bucket size, identical on every rank. Default 25 MiB, as PyTorch DDP. */
  readonly bucketBytes?: number;
  /** Wire dtype of the gradient buckets; 'bf16' halves the bytes. Default 'f32'. */
  readonly dtype?: WireDtype;
  readonly chunkBytes?: number;
  /**
   * Trailing elements always sent as f32 in a bucket of their own when dtype is bf16: the trainer's
   * loss sum and loss-term count (bf16 holds integers exactly only up to 256). Default
   * SYNC_TRAILER_LENGTH.
   */
  readonly exactTailElements?: number;
  /** The f32 reduction (native-kernels' `nativeAddInto()` when the addon is built); default a JS loop. */
  readonly addInto?: AddInto;
}

/** Totals since construction, and the latest call, for progress reports. */
export interface RingSyncStats {
  readonly calls: number;
  readonly collectives: number;
  /** f32 bytes all-reduced (buffer sizes, not wire bytes). */
  readonly bytes: number;
  readonly milliseconds: number;
  readonly lastBytes: number;
  readonly lastMilliseconds: number;
}

/**
 * The trainer's GradientSync over a ring all-reduce (libs/comm): the buffer is cut into fixed-size
 * buckets, the same plan on every rank, and each is all-reduced in order with the collective
 * deadline. Collectives are numbered by a counter every rank advances together, so calls must come
 * in the same order on every rank (the Trainer makes one per optimizer step). After an error the
 * ring is unusable: close the transport and re-form.
 */
export class RingGradientSync implements GradientSync {
  private sequence = 0;
  private totals = { calls: 0, collectives: 0, bytes: 0, milliseconds: 0, lastBytes: 0, lastMilliseconds: 0 };

  constructor(
    private readonly transport: Transport,
    private readonly options: RingGradientSyncOptions,
  ) {}

  get rank(): number {
    return this.transport.rank;
  }

  get worldSize(): number {
    return this.transport.worldSize;
  }

  get stats(): RingSyncStats {
    return { ...this.totals };
  }

  async allReduce(buffer: Float32Array): Promise<void> {
    await this.reduce(buffer, this.options.dtype ?? 'f32');
  }

  /**
   * Every rank ends with rank 0's `buffer` (DDP's initial parameter broadcast): the other ranks
   * contribute zeros and the sum travels as f32, so the copy is exact. A collective like any other:
   * every rank calls it at the same point.
   */
  async broadcastFromRankZero(buffer: Float32Array): Promise<void> {
    if (this.rank !== 0) buffer.fill(0);
    await this.reduce(buffer, 'f32');
  }

  private async reduce(buffer: Float32Array, dtype: WireDtype): Promise<void> {
    const startedAt = performance.now();
    const step = this.sequence++;
    const bucketBytes = this.options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    const tail = dtype === 'f32' ? 0 : Math.min(this.options.exactTailElements ?? SYNC_TRAILER_LENGTH, buffer.length);
    const body = buffer.length - tail;
    const buckets = planFlatBuckets(body, bucketBytes).map((b) => ({ ...b, dtype }));
    if (tail > 0) buckets.push({ bucketId: buckets.length, offset: body, length: tail, firstTensor: 0, endTensor: 0, dtype: 'f32' });
    // Every bucket's collective at once (as DDP launches a bucket as soon as it is ready): the lanes
    // stay busy across bucket boundaries instead of draining and refilling the ring for each.
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
