// The scaling model's arithmetic (tools/bench/scaling-model.ts); its figures are printed by the
// benchmarks, never asserted.
import { describe, expect, it } from 'vitest';
import { gbitToBytesPerSecond, predictStep, ringAllReduceSeconds } from '../../tools/bench/scaling-model.ts';

const costs = { chunkBytes: 1 << 20, chunkSeconds: 0.001, softwareLatencySeconds: 0.0002 };
const link = { bytesPerSecond: gbitToBytesPerSecond(10), latencySeconds: 0.00005 };

describe('ring all-reduce cost model', () => {
  it('costs nothing for one worker', () => {
    expect(ringAllReduceSeconds(1, 1e9, link, costs).seconds).toBe(0);
  });

  it('is the larger of 2(N-1)/N x bytes / bandwidth and the chunks each rank handles, plus 2(N-1) x latency', () => {
    const bytes = 44 * 1024 * 1024;
    for (const workers of [2, 4, 8, 64]) {
      const estimate = ringAllReduceSeconds(workers, bytes, link, costs);
      const share = (2 * (workers - 1)) / workers;
      expect(estimate.wireSeconds).toBeCloseTo((share * bytes) / 1.25e9, 12);
      expect(estimate.latencySeconds).toBeCloseTo(2 * (workers - 1) * 0.00025, 12);
      expect(estimate.chunkSeconds).toBeCloseTo(((share * bytes) / (1 << 20)) * 0.001, 12);
      expect(estimate.seconds).toBeCloseTo(Math.max(estimate.wireSeconds, estimate.chunkSeconds) + estimate.latencySeconds, 12);
      const serial = ringAllReduceSeconds(workers, bytes, link, costs, { isPipelined: false });
      expect(serial.seconds).toBeCloseTo(estimate.wireSeconds + estimate.latencySeconds + estimate.chunkSeconds, 12);
    }
    // The bandwidth term approaches 2 x bytes / bandwidth; the latency term grows linearly.
    expect(ringAllReduceSeconds(1000, bytes, link, costs).wireSeconds).toBeLessThan((2 * bytes) / 1.25e9);
  });

  it('hides at most the overlapped share of the all-reduce, and never more than the backward pass', () => {
    const allReduce = { seconds: 1, wireSeconds: 1, latencySeconds: 0, chunkSeconds: 0 };
    expect(predictStep(2, allReduce, { overlap: 0, backwardShare: 0.6 })).toMatchObject({ stepSeconds: 3, efficiency: 2 / 3 });
    expect(predictStep(2, allReduce, { overlap: 0.5, backwardShare: 0.6 }).stepSeconds).toBeCloseTo(2.5, 12);
    // A whole overlap hides 1 s, but the backward pass is 0.6 x 1 s.
    expect(predictStep(1, allReduce, { overlap: 1, backwardShare: 0.6 }).stepSeconds).toBeCloseTo(1.4, 12);
  });
});
