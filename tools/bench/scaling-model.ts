// The data-parallel scaling model (pure functions; tools/bench/scaling-predict.ts measures its inputs,
// tools/bench/shaped-links.ts checks it against shaped links). BENCHMARKS.md, "Scaling model".
//
// One optimizer step of N workers, each with a fixed per-device batch (weak scaling):
//   step(N)    = compute + allReduce(N) - hidden
//   allReduce  = max(wire, chunks)                            (the data plane streams: the CPU works on
//                                                               one chunk while the link carries the next)
//              + 2(N-1) * (linkLatency + softwareLatency)     (2(N-1) ring steps, each a round of sends)
//   wire       = 2(N-1)/N * wireBytes / bandwidth            (ring: each rank sends that much)
//   chunks     = 2(N-1)/N * wireBytes / chunkBytes * chunkSeconds   (per-chunk CPU work: MACs, copies,
//                                                               the add, bf16 encode/decode; a chunk
//                                                               shorter than chunkBytes costs pro rata,
//                                                               its fixed part is in softwareLatency)
//   With `isPipelined: false` the two add up instead (an upper bound: nothing streams).
//   hidden     = min(overlap * allReduce, backwardShare * compute)   (overlap 0 today: the all-reduce
//                                                               starts after the whole backward pass)
//   efficiency = compute / step(N)   (= samples/s of N workers / (N x samples/s of one))

export interface LinkSpec {
  /** Payload bandwidth of each worker's link, bytes per second, in each direction. */
  readonly bytesPerSecond: number;
  /** One-way latency of a message between neighbours, seconds. */
  readonly latencySeconds: number;
}

export interface RingCosts {
  /** Bytes of one data-plane chunk on the wire (the endpoint's maxChunkBytes, 1 MiB by default). */
  readonly chunkBytes: number;
  /** CPU seconds a rank spends per full chunk it sends and receives: MAC seal + check, copies, add, codec. */
  readonly chunkSeconds: number;
  /** Fixed software cost of one ring step (framing, event-loop turns, acknowledgements), seconds. */
  readonly softwareLatencySeconds: number;
}

export interface RingEstimate {
  readonly seconds: number;
  readonly wireSeconds: number;
  readonly latencySeconds: number;
  readonly chunkSeconds: number;
}

/** Gbit/s (10^9 bits) -> bytes/s. */
export const gbitToBytesPerSecond = (gbit: number): number => (gbit * 1e9) / 8;

/** Time of one ring all-reduce of `wireBytes` (what goes on the wire: f32 4 bytes/value, bf16 2) over `workers`. */
export function ringAllReduceSeconds(workers: number, wireBytes: number, link: LinkSpec, costs: RingCosts, { isPipelined = true } = {}): RingEstimate {
  if (workers <= 1) return { seconds: 0, wireSeconds: 0, latencySeconds: 0, chunkSeconds: 0 };
  const ringSteps = 2 * (workers - 1);
  const wireSeconds = ((ringSteps / workers) * wireBytes) / link.bytesPerSecond;
  const latencySeconds = ringSteps * (link.latencySeconds + costs.softwareLatencySeconds);
  const chunkSeconds = (((ringSteps / workers) * wireBytes) / costs.chunkBytes) * costs.chunkSeconds;
  const streamSeconds = isPipelined ? Math.max(wireSeconds, chunkSeconds) : wireSeconds + chunkSeconds;
  return { seconds: streamSeconds + latencySeconds, wireSeconds, latencySeconds, chunkSeconds };
}

export interface StepPrediction {
  readonly stepSeconds: number;
  readonly allReduceSeconds: number;
  readonly hiddenSeconds: number;
  /** compute / step: the fraction of linear scaling kept. */
  readonly efficiency: number;
}

/**
 * One step of `workers` ranks: compute, plus the all-reduce less the part overlapped with the backward
 * pass (`overlap` in [0, 1] of the all-reduce, never more than the backward pass itself).
 */
export function predictStep(
  computeSeconds: number,
  allReduce: RingEstimate,
  options: { readonly overlap: number; readonly backwardShare: number },
): StepPrediction {
  const hiddenSeconds = Math.min(options.overlap * allReduce.seconds, options.backwardShare * computeSeconds);
  const stepSeconds = computeSeconds + allReduce.seconds - hiddenSeconds;
  return { stepSeconds, allReduceSeconds: allReduce.seconds, hiddenSeconds, efficiency: computeSeconds / stepSeconds };
}
