import { TunefleetError } from '@tunefleet/core';

/**
 * Typed failures of a collective. `code` is stable (match on it, not on the message);
 * `isRetryable` separates a lost or stalled peer (re-form the ring and resume) from a fault that
 * recurs on retry (diverged bucket plans, a bad token, a malformed frame).
 */
export type CommErrorCode =
  | 'COLLECTIVE_TIMEOUT'
  | 'PEER_UNAVAILABLE'
  | 'CHUNK_REJECTED'
  | 'UNAUTHENTICATED'
  | 'TRANSPORT_CLOSED'
  | 'INVALID_ARGUMENT';

/** The root of every error of libs/comm (all three rooms: ring, grpc, data-plane). Not retryable unless said. */
export class CommError extends TunefleetError<CommErrorCode> {
  override readonly name: string = 'CommError';

  constructor(code: CommErrorCode, message: string, options?: { cause?: unknown; isRetryable?: boolean }) {
    super(code, message, options);
  }
}

/** What one rank knows when its deadline expires. */
export interface StallReport {
  readonly step: number;
  readonly bucketId: number;
  readonly timeoutMs: number;
  /** This rank. */
  readonly rank: number;
  /** The left neighbour: the only rank this one receives from. */
  readonly waitedOnRank: number;
  /** Ranks that, as far as this rank can tell, never sent (left neighbour or, via stall notices, further up the ring). */
  readonly silentRanks: readonly number[];
  /** Earliest phase and round with a missing chunk, e.g. "reduce-scatter round 0". */
  readonly firstMissing: string;
  readonly missingChunks: number;
  readonly expectedChunks: number;
}

/**
 * A collective passed its deadline. Retryable: re-form the ring without the silent ranks. The
 * message names both spellings of the deadline: the job spec's `collective_timeout_ms` and the
 * `--collective-timeout-ms` flag (`tunefleet worker`, `tunefleet train --workers`).
 */
export class CollectiveTimeoutError extends CommError {
  override readonly name = 'CollectiveTimeoutError';
  readonly silentRanks: readonly number[];
  constructor(readonly report: StallReport) {
    super(
      'COLLECTIVE_TIMEOUT',
      `Allreduce stalled ${report.timeoutMs} ms on bucket ${report.bucketId} (step ${report.step}): ` +
        `ranks [${report.silentRanks.join(', ')}] never sent; rank ${report.rank} was waiting on rank ` +
        `${report.waitedOnRank} for ${report.firstMissing} (${report.missingChunks} of ${report.expectedChunks} ` +
        `chunks missing); check those workers' logs or raise collective_timeout_ms (--collective-timeout-ms).`,
      { isRetryable: true },
    );
    this.silentRanks = report.silentRanks;
  }
}

/** The right neighbour could not be reached or dropped the connection. Retryable. */
export class PeerUnavailableError extends CommError {
  override readonly name = 'PeerUnavailableError';
  constructor(
    readonly peerRank: number,
    readonly peerAddress: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('PEER_UNAVAILABLE', `Rank ${peerRank} at ${peerAddress} is unavailable: ${detail}; check that worker is running and reachable.`, {
      ...options,
      isRetryable: true,
    });
  }
}

/**
 * A frame that is malformed, oversized, for another job, from the wrong rank, or whose size does not
 * match this rank's bucket plan (ranks disagree on bucket layout). Not retryable.
 */
export class ChunkRejectedError extends CommError {
  override readonly name = 'ChunkRejectedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CHUNK_REJECTED', message, options);
  }
}
