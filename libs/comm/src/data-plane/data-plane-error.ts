import { CommError, type CommErrorCode } from '../comm-error.ts';
import { StatusCode } from './data-plane-frame.ts';

/**
 * The peer did not prove it holds the token (a malformed HELLO, or one whose MAC does not match);
 * nothing after its HELLO is read. The listener answers it STATUS unauthenticated and logs the
 * message as the reason, so the message says what was wrong and nothing about this worker.
 */
export class HelloRefusedError extends CommError {
  override readonly name = 'HelloRefusedError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', reason, options);
  }
}

/** Which CommError code a data-plane STATUS (other than ok) amounts to, seen from the sender. */
function codeOfStatus(status: number): CommErrorCode {
  if (status === StatusCode.Unauthenticated) return 'UNAUTHENTICATED';
  if (status === StatusCode.Rejected) return 'CHUNK_REJECTED';
  return 'PEER_UNAVAILABLE';
}

/**
 * The right neighbour answered a data-plane handshake with a STATUS other than ok. `status` is the
 * wire code (StatusCode); DataPlaneLane.open turns this into the error its caller sees.
 */
export class DataPlaneStatusError extends CommError {
  override readonly name = 'DataPlaneStatusError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    const code = codeOfStatus(status);
    super(code, message, { isRetryable: code === 'PEER_UNAVAILABLE' });
  }
}
