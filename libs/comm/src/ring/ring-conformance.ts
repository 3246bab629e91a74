// The one conformance suite every Transport must pass; in-memory-transport.spec.ts and the grpc/
// specs (grpc-transport, tcp-data-plane, shared-memory-data-plane) run it. Not a spec file itself:
// vitest collects it through them. It lives with the ring because it needs nothing but a Transport.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectiveTimeoutError, CommError } from '../comm-error.ts';
import { ringAllReduce } from './ring-all-reduce.ts';
import { RingAllReducer } from './ring-all-reducer.ts';
import type { Transport } from './transport.ts';

export type RingFactory = (worldSize: number) => Promise<Transport[]>;

export interface ConformanceOptions {
  readonly maxWorldSize: number;
  readonly maxLength: number;
  readonly propertyRuns: number;
}

/** Deterministic pseudo-random integers in [-1000, 1000]: their f32 sums are exact. */
function integerVector(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state % 2001) - 1000;
  }
  return out;
}

function naiveSum(inputs: readonly Float32Array[]): Float64Array {
  const sum = new Float64Array(inputs[0]?.length ?? 0);
  for (const input of inputs) input.forEach((value, i) => (sum[i]! += value));
  return sum;
}

/** `input` in a buffer from the transport (`allocate`: shared memory, say), as the Trainer gets its buffer. */
function bufferFor(transport: Transport, input: Float32Array): Float32Array {
  const buffer = transport.allocate?.(input.length) ?? new Float32Array(input.length);
  buffer.set(input);
  return buffer;
}

const bytesOf = (values: Float32Array): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

async function settle<T>(promises: Array<Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
  return Promise.allSettled(promises);
}

export function describeRingConformance(name: string, makeRing: RingFactory, options: ConformanceOptions): void {
  describe(`ring all-reduce conformance: ${name}`, () => {
    let open: Transport[] = [];
    const ring = async (worldSize: number): Promise<Transport[]> => {
      const transports = await makeRing(worldSize);
      open.push(...transports);
      return transports;
    };
    afterEach(async () => {
      await Promise.all(open.map((t) => t.close()));
      open = [];
    });

    it('equals the naive sum for every world size and length, divisible or not', async () => {
      let step = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: options.maxWorldSize }),
          fc.integer({ min: 0, max: options.maxLength }),
          fc.constantFrom(8, 12, 64, 1 << 20),
          fc.integer(),
          async (worldSize, length, chunkBytes, seed) => {
            const transports = await ring(worldSize);
            const inputs = transports.map((_, rank) => integerVector(length, seed + rank));
            const buffers = inputs.map((input, rank) => bufferFor(transports[rank]!, input));
            const thisStep = step++;
            await Promise.all(
              transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: thisStep, bucketId: 0, timeoutMs: 20_000, chunkBytes })),
            );
            const expected = Float32Array.from(naiveSum(inputs));
            for (const buffer of buffers) expect(buffer).toEqual(expected);
            await Promise.all(transports.map((t) => t.close()));
          },
        ),
        { numRuns: options.propertyRuns },
      );
    });

    it('leaves every rank with bitwise-identical floats close to the exact sum', async () => {
      const worldSize = Math.min(4, options.maxWorldSize);
      const transports = await ring(worldSize);
      const length = 1000;
      const inputs = transports.map((_, rank) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + rank) / (1 + (i % 7))));
      const buffers = inputs.map((input, rank) => bufferFor(transports[rank]!, input));
      await Promise.all(transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 1, bucketId: 0, timeoutMs: 20_000, chunkBytes: 256 })));
      const exact = naiveSum(inputs);
      for (const buffer of buffers) {
        expect(bytesOf(buffer).equals(bytesOf(buffers[0]!))).toBe(true);
        buffer.forEach((value, i) => expect(Math.abs(value - exact[i]!)).toBeLessThanOrEqual(1e-6 * worldSize));
      }
      // Payloads arrived aligned: reduced straight from the received frame, never copied first.
      for (const t of transports) expect(t.inbox.unalignedPayloadCount).toBe(0);
    });

    it('reduces through the addInto it is given (e.g. the native add), with the same result', async () => {
      const worldSize = Math.min(3, options.maxWorldSize);
      const transports = await ring(worldSize);
      const length = 1001;
      const inputs = transports.map((_, rank) => integerVector(length, 40 + rank));
      const buffers = inputs.map((input, rank) => bufferFor(transports[rank]!, input));
      let added = 0;
      const addInto = (target: Float32Array, source: Float32Array): void => {
        added += target.length;
        for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
      };
      await Promise.all(
        transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 3, bucketId: 0, timeoutMs: 20_000, chunkBytes: 64, addInto })),
      );
      const expected = Float32Array.from(naiveSum(inputs));
      for (const buffer of buffers) expect(buffer).toEqual(expected);
      // Reduce-scatter: each rank adds (N-1)/N of the buffer.
      expect(added).toBe(length * (worldSize - 1));
    });

    it('with bf16 on the wire stays within the bf16 error bound and identical on every rank', async () => {
      const worldSize = Math.min(3, options.maxWorldSize);
      const transports = await ring(worldSize);
      const length = 777;
      const inputs = transports.map((_, rank) => Float32Array.from({ length }, (_, i) => 1 + ((i * 31 + rank * 7) % 97) / 97));
      const buffers = inputs.map((input, rank) => bufferFor(transports[rank]!, input));
      await Promise.all(
        transports.map((t, rank) => ringAllReduce(t, buffers[rank]!, { step: 2, bucketId: 5, timeoutMs: 20_000, dtype: 'bf16', chunkBytes: 128 })),
      );
      const exact = naiveSum(inputs);
      // Positive inputs: each of the 2N-1 roundings adds at most 2^-8 relative error of a partial sum.
      const bound = (2 * worldSize - 1) * 2 ** -8;
      for (const buffer of buffers) {
        expect(bytesOf(buffer).equals(bytesOf(buffers[0]!))).toBe(true);
        buffer.forEach((value, i) => expect(Math.abs(value - exact[i]!) / exact[i]!).toBeLessThanOrEqual(bound));
      }
      expect(buffers[0]!.some((value, i) => value !== Math.fround(exact[i]!))).toBe(true); // bf16 really was used
    });

    it('runs consecutive multi-bucket all-reduces through RingAllReducer', async () => {
      const worldSize = Math.min(3, options.maxWorldSize);
      const transports = await ring(worldSize);
      const reducers = transports.map((t) => new RingAllReducer(t, { timeoutMs: 20_000, bucketBytes: 400, chunkBytes: 64 }));
      for (let iteration = 0; iteration < 3; iteration++) {
        const inputs = transports.map((_, rank) => integerVector(1001, iteration * 10 + rank));
        const buffers = inputs.map((input, rank) => bufferFor(transports[rank]!, input));
        await Promise.all(reducers.map((r, rank) => r.allReduce(buffers[rank]!)));
        const expected = Float32Array.from(naiveSum(inputs));
        for (const buffer of buffers) expect(buffer).toEqual(expected);
      }
      expect(reducers[0]!.stats.collectives).toBe(3 * Math.ceil(1001 / 100));
    });

    it('times out naming the silent rank, on its neighbour and further down the ring', async () => {
      const worldSize = 4;
      const silent = 2;
      const transports = await ring(worldSize);
      const started = Date.now();
      const results = await settle(
        transports
          .filter((t) => t.rank !== silent)
          .map((t) => ringAllReduce(t, new Float32Array(64).fill(1), { step: 9, bucketId: 3, timeoutMs: 1500, stallNoticeMs: 200 })),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(CollectiveTimeoutError);
        expect(error.code).toBe('COLLECTIVE_TIMEOUT');
        expect(error.isRetryable).toBe(true);
        expect(error.silentRanks).toEqual([silent]);
        expect(error.message).toMatch(/^Allreduce stalled 1500 ms on bucket 3 \(step 9\): ranks \[2\] never sent;/);
        expect(error.message).toContain("check those workers' logs or raise collective_timeout_ms (--collective-timeout-ms).");
      }
    });

    it('rejects chunks whose size disagrees with this rank\'s plan instead of hanging', async () => {
      const transports = await ring(2);
      const results = await settle(
        transports.map((t, rank) => ringAllReduce(t, new Float32Array(rank === 0 ? 8 : 10), { step: 0, bucketId: 0, timeoutMs: 5000 })),
      );
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason as CommError;
        expect(error.code).toBe('CHUNK_REJECTED');
        expect(error.isRetryable).toBe(false);
        expect(error.message).toMatch(/ranks disagree on the bucket plan/);
      }
    });
  });
}
