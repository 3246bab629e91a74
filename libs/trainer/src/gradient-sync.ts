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
}

/** One process, one rank: nothing to combine. */
export class NoopGradientSync implements GradientSync {
  readonly rank = 0;
  readonly worldSize = 1;

  async allReduce(_buffer: Float32Array): Promise<void> {
    // Sum over a single rank is the buffer itself.
  }
}
