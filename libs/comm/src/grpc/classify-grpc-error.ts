import * as grpc from '@grpc/grpc-js';
import { ChunkRejectedError, CommError, PeerUnavailableError } from '../comm-error.ts';

/** The sending rank as a failure finds it: who it is, whom it sent to, and whether it closed itself. */
export interface SendingRank {
  readonly rank: number;
  readonly rightRank: number;
  readonly rightAddress: string;
  readonly isClosed: boolean;
}

/**
 * The CommError a failed call to the right neighbour becomes: a refused token and a refused frame
 * recur on retry; anything else means the neighbour is gone (retryable), unless this rank itself
 * cancelled the call by closing.
 */
export function classifyGrpcError(error: grpc.ServiceError, at: SendingRank): CommError {
  const where = `rank ${at.rightRank} at ${at.rightAddress}`;
  switch (error.code) {
    case grpc.status.UNAUTHENTICATED:
      return new CommError('UNAUTHENTICATED', `${where} refused this rank's token; every worker of a job needs the same collective token`, { cause: error });
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.RESOURCE_EXHAUSTED:
      return new ChunkRejectedError(`${where} rejected a frame: ${error.details}`, { cause: error });
    case grpc.status.CANCELLED:
      if (at.isClosed) return new CommError('TRANSPORT_CLOSED', `rank ${at.rank}'s transport is closed`, { cause: error });
      return new PeerUnavailableError(at.rightRank, at.rightAddress, `stream cancelled (${error.details})`, { cause: error });
    default:
      return new PeerUnavailableError(at.rightRank, at.rightAddress, `${grpc.status[error.code] ?? error.code}: ${error.details}`, { cause: error });
  }
}
