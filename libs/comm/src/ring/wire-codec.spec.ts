import fc from 'fast-check';
import { Dtype, ExchangeRequest, Phase } from '@tunefleet/proto';
import { describe, expect, it } from 'vitest';
import { ChunkRejectedError } from '../comm-error.ts';
import { decodeFrame, encodeChunkFrame, encodeStallNoticeFrame, type ChunkHeader, type DecodedChunk } from './wire-codec.ts';

const header = fc.record({
  jobId: fc.string({ maxLength: 40 }),
  step: fc.nat(2 ** 40),
  bucketId: fc.nat(10_000),
  phase: fc.constantFrom('reduce-scatter' as const, 'all-gather' as const),
  round: fc.nat(7),
  chunkIndex: fc.nat(100_000),
  rank: fc.nat(7),
});
const limits = { maxPayloadBytes: 1 << 20 };

describe('wire codec', () => {
  it('writes protobuf the generated decoder reads, with the payload 4-byte aligned', () => {
    fc.assert(
      fc.property(header, fc.array(fc.float({ noNaN: true }), { maxLength: 64 }), (h: ChunkHeader, values) => {
        const floats = Float32Array.from(values);
        const frame = encodeChunkFrame(h, floats, 'f32');
        const decoded = ExchangeRequest.decode(frame);
        expect(decoded.frame?.$case).toBe('chunk');
        const chunk = decoded.frame!.value as import('@tunefleet/proto').Chunk;
        expect(chunk).toMatchObject({
          jobId: h.jobId,
          step: h.step,
          bucketId: h.bucketId,
          phase: h.phase === 'reduce-scatter' ? Phase.PHASE_REDUCE_SCATTER : Phase.PHASE_ALL_GATHER,
          round: h.round,
          chunkIndex: h.chunkIndex,
          rank: h.rank,
          dtype: Dtype.DTYPE_F32,
          elementCount: floats.length,
        });
        expect(Buffer.from(chunk.payload)).toEqual(Buffer.from(floats.buffer));
        const mine = decodeFrame(frame, limits) as DecodedChunk;
        expect(mine.payload.byteOffset % 4).toBe(0);
        expect(mine).toMatchObject({ ...h, kind: 'chunk', dtype: 'f32', elementCount: floats.length });
      }),
    );
  });

  it('reads what the generated encoder writes, unknown fields included', () => {
    fc.assert(
      fc.property(header, fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 32 }), (h, halves) => {
        const payload = Buffer.from(Uint16Array.from(halves).buffer);
        const bytes = ExchangeRequest.encode({
          frame: {
            $case: 'chunk',
            value: {
              ...h,
              phase: h.phase === 'reduce-scatter' ? Phase.PHASE_REDUCE_SCATTER : Phase.PHASE_ALL_GATHER,
              dtype: Dtype.DTYPE_BF16,
              elementCount: halves.length,
              padding: Buffer.alloc(3),
              payload,
            },
          },
        }).finish();
        const decoded = decodeFrame(bytes, limits) as DecodedChunk;
        expect(decoded).toMatchObject({ ...h, dtype: 'bf16', elementCount: halves.length });
        expect(Buffer.from(decoded.payload)).toEqual(payload);
      }),
    );
  });

  it('round-trips stall notices', () => {
    const notice = { jobId: 'j', step: 4, bucketId: 2, rank: 3, waitingOnRank: 1, waitedMs: 250 };
    expect(decodeFrame(encodeStallNoticeFrame(notice), limits)).toEqual({ kind: 'stall', notice });
  });

  it('rejects malformed and oversized frames with messages that say what is wrong', () => {
    const h: ChunkHeader = { jobId: 'j', step: 0, bucketId: 0, phase: 'all-gather', round: 0, chunkIndex: 0, rank: 0 };
    const good = encodeChunkFrame(h, new Float32Array(8), 'f32');
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(0), /empty/],
      [Buffer.from([0x1a, 0x00]), /tag 26, expected field 1/],
      [good.subarray(0, good.length - 1), /overruns the frame/],
      [Buffer.concat([good, Buffer.from([0])]), /trailing bytes/],
      [encodeChunkFrame(h, new Float32Array(8), 'f32').fill(0xff, 3, 4), /./],
      [ExchangeRequest.encode({ frame: { $case: 'chunk', value: { ...h, phase: 0, dtype: 1, elementCount: 1, round: 0, payload: Buffer.alloc(4), padding: Buffer.alloc(0) } as never } }).finish(), /phase 0/],
      [ExchangeRequest.encode({ frame: { $case: 'chunk', value: { ...h, phase: 1, dtype: 1, elementCount: 3, payload: Buffer.alloc(4), padding: Buffer.alloc(0) } as never } }).finish(), /payload is 4 bytes, expected 3 f32 = 12 bytes/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeFrame(bytes, limits)).toThrow(ChunkRejectedError);
      expect(() => decodeFrame(bytes, limits)).toThrow(message);
    }
    expect(() => decodeFrame(encodeChunkFrame(h, new Float32Array(300), 'f32'), { maxPayloadBytes: 1024 })).toThrow(
      /chunk of 300 f32 \(1200 bytes\) exceeds this rank's limit of 1024 bytes/,
    );
  });
});
