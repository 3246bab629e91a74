import { RingAllReducer, type AllReduceTotals, type RingAllReducerOptions, type Transport } from '@tunefleet/comm';
import { SYNC_TRAILER_LENGTH, type GradientSync } from '@tunefleet/trainer';

/**
 * libs/comm's RingAllReducer options; `exactTailElements` defaults to SYNC_TRAILER_LENGTH: the
 * trainer's loss sum and loss-term count always travel as f32.
 */
export type RingGradientSyncOptions = RingAllReducerOptions;

/** Totals since construction, and the latest call, for progress reports. */
export type RingSyncStats = AllReduceTotals;

/**
 * The trainer's GradientSync over libs/comm's RingAllReducer (fixed-size buckets, the same plan on
 * every rank, each call's collectives numbered by a counter every rank advances together), plus DDP's
 * initial parameter broadcast. Calls must come in the same order on every rank (the Trainer makes one
 * per optimizer step). After an error the ring is unusable: close the transport and re-form.
 */
export class RingGradientSync implements GradientSync {
  private readonly reducer: RingAllReducer;

  constructor(transport: Transport, options: RingGradientSyncOptions) {
    this.reducer = new RingAllReducer(transport, { ...options, exactTailElements: options.exactTailElements ?? SYNC_TRAILER_LENGTH });
  }

  get rank(): number {
    return this.reducer.rank;
  }

  get worldSize(): number {
    return this.reducer.worldSize;
  }

  get stats(): RingSyncStats {
    return this.reducer.stats;
  }

  allocateBuffer(length: number): Float32Array {
    return this.reducer.allocate(length);
  }

  async allReduce(buffer: Float32Array): Promise<void> {
    await this.reducer.allReduce(buffer);
  }

  /**
   * Every rank ends with rank 0's `buffer` (DDP's initial parameter broadcast): the other ranks
   * contribute zeros and the sum travels as f32, so the copy is exact. A collective like any other:
   * every rank calls it at the same point.
   */
  async broadcastFromRankZero(buffer: Float32Array): Promise<void> {
    if (this.rank !== 0) buffer.fill(0);
    await this.reducer.allReduce(buffer, 'f32');
  }
}
