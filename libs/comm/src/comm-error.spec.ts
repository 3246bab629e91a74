import { errorCode, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { ChunkRejectedError, CollectiveTimeoutError, CommError, PeerUnavailableError, type StallReport } from './comm-error.ts';
import { DataPlaneStatusError, HelloRefusedError } from './data-plane/data-plane-error.ts';
import { StatusCode } from './data-plane/data-plane-frame.ts';

const REPORT: StallReport = {
  step: 4,
  bucketId: 2,
  timeoutMs: 30_000,
  rank: 3,
  waitedOnRank: 2,
  silentRanks: [2, 5],
  firstMissing: 'reduce-scatter round 0',
  missingChunks: 3,
  expectedChunks: 7,
};

describe('comm errors', () => {
  it('are TunefleetErrors whose code errorCode reads, retryable only where a re-formed ring may help', () => {
    const cause = new Error('socket hang up');
    const cases: Array<[CommError, string, boolean]> = [
      [new CollectiveTimeoutError(REPORT), 'COLLECTIVE_TIMEOUT', true],
      [new PeerUnavailableError(1, '10.0.0.2:7000', 'stream cancelled', { cause }), 'PEER_UNAVAILABLE', true],
      [new ChunkRejectedError('malformed frame'), 'CHUNK_REJECTED', false],
      [new CommError('INVALID_ARGUMENT', 'bad'), 'INVALID_ARGUMENT', false],
      [new HelloRefusedError('wrong token (HELLO MAC does not match)'), 'UNAUTHENTICATED', false],
      [new DataPlaneStatusError(StatusCode.Unauthenticated, 'unauthenticated'), 'UNAUTHENTICATED', false],
      [new DataPlaneStatusError(StatusCode.Rejected, 'frame refused'), 'CHUNK_REJECTED', false],
      [new DataPlaneStatusError(StatusCode.Unavailable, 'transport closed'), 'PEER_UNAVAILABLE', true],
    ];
    for (const [error, code, isRetryable] of cases) {
      expect(error).toBeInstanceOf(TunefleetError);
      expect(error).toBeInstanceOf(CommError);
      expect(errorCode(error)).toBe(code);
      expect(error.isRetryable).toBe(isRetryable);
    }
    expect((cases[1]![0] as PeerUnavailableError).cause).toBe(cause);
    expect(new DataPlaneStatusError(StatusCode.Rejected, 'x').status).toBe(StatusCode.Rejected);
  });

  it('names the silent ranks and both spellings of the deadline on a collective timeout', () => {
    const error = new CollectiveTimeoutError(REPORT);
    expect(error.name).toBe('CollectiveTimeoutError');
    expect(error.silentRanks).toEqual([2, 5]);
    expect(error.message).toBe(
      'Allreduce stalled 30000 ms on bucket 2 (step 4): ranks [2, 5] never sent; rank 3 was waiting on rank 2 for ' +
        "reduce-scatter round 0 (3 of 7 chunks missing); check those workers' logs or raise collective_timeout_ms (--collective-timeout-ms).",
    );
  });
});
