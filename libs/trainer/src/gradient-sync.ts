/**
 * How the Trainer combines gradients across data-parallel ranks. `allReduce` sums `buffer` in place
 * across every rank; the Trainer divides by `worldSize` afterwards. The cluster plugs in the ring
 * from libs/comm; a single process uses NoopGradientSync.
 */
export interface GradientSync {
  readonly rank: number;
  readonly worldSize: number;
  /** In-place SUM of `buffer` across ranks; every rank passes the same length. */
  allReduce(buffer: Float32Array): Promise<void>;
  /**
   * Optional: a zero-filled buffer of `length` that `allReduce` moves fastest (the ring's shared
   * memory on one machine). The Trainer allocates its flat gradient buffer with it, once.
   */
  allocateBuffer?(length: number): Float32Array;
}

/** One process, one rank: nothing to combine. */
export class NoopGradientSync implements GradientSync {
  readonly rank = 0;
  readonly worldSize = 1;

  async allReduce(_buffer: Float32Array): Promise<void> {
    // Sum over a single rank is the buffer itself.
  }
}
