import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { FRAME_MAC_BYTES, FrameMacs } from '../data-plane/data-plane-frame.ts';
import type { ExpectedSender } from '../data-plane/data-plane-reader.ts';

/**
 * How a Collective.Exchange stream proves it is the assigned left neighbour, as a data-plane
 * connection does (data-plane-frame.ts), over a client stream that has no round trip for a
 * challenge: the caller picks a fresh 16-byte session id and sends, besides the bearer token,
 * `x-tunefleet-rank`, `x-tunefleet-session` (hex) and `x-tunefleet-proof` = hex of
 * HMAC-SHA256(pair key, "exchange" || job id || 0 || rank || 0 || session id). The receiver refuses a
 * session id it has seen (no replayed stream). Every frame then carries a 16-byte GMAC tag at its
 * end, made as on the data plane (FrameMacs, data-plane-frame.ts): the frame key is HKDF of the pair
 * key with the session id as salt (purpose "exchange", lane 0), the IV the frame's number on the
 * stream, the frame the additional authenticated data. The session id is fresh per stream, so no
 * key and IV pair repeats.
 */
const SESSION_BYTES = 16;

function proofOf(key: Uint8Array, jobId: string, rank: number, session: Buffer): Buffer {
  return createHmac('sha256', key).update(`exchange\0${jobId}\0${rank}\0`).update(session).digest();
}

/** The sending side of one stream: metadata to attach, and the MAC sequence of its frames. */
export function openExchangeSession(sendKey: Uint8Array, jobId: string, rank: number): { readonly metadata: ReadonlyArray<readonly [string, string]>; readonly macs: FrameMacs } {
  const session = randomBytes(SESSION_BYTES);
  return {
    metadata: [
      ['x-tunefleet-rank', String(rank)],
      ['x-tunefleet-session', session.toString('hex')],
      ['x-tunefleet-proof', proofOf(sendKey, jobId, rank, session).toString('hex')],
    ],
    macs: new FrameMacs(sendKey, session, 0, 'exchange'),
  };
}

/** `frame` with its MAC appended (the next of `macs`). */
export function sealFrame(frame: Uint8Array, macs: FrameMacs): Buffer {
  const out = Buffer.allocUnsafe(frame.byteLength + FRAME_MAC_BYTES);
  out.set(frame, 0);
  macs.next(frame, undefined).copy(out, frame.byteLength);
  return out;
}

/** The frame without its MAC (same memory), or undefined when the MAC does not match. */
export function openFrame(sealed: Buffer, macs: FrameMacs): Buffer | undefined {
  if (sealed.length < FRAME_MAC_BYTES) return undefined;
  const frame = sealed.subarray(0, sealed.length - FRAME_MAC_BYTES);
  return macs.verifyNext(frame, undefined, sealed.subarray(sealed.length - FRAME_MAC_BYTES)) ? frame : undefined;
}

function single(metadata: grpc.Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
}

/** Checks a stream's proof against the sender this rank expects; the MACs of its frames, or why it is refused. */
export function acceptExchangeSession(metadata: grpc.Metadata, expected: ExpectedSender, seenSessions: Set<string>): FrameMacs | { readonly refused: string } {
  const rank = single(metadata, 'x-tunefleet-rank');
  const sessionHex = single(metadata, 'x-tunefleet-session');
  const proofHex = single(metadata, 'x-tunefleet-proof');
  if (rank === undefined || sessionHex === undefined || proofHex === undefined) return { refused: 'no rank proof (x-tunefleet-rank/-session/-proof metadata)' };
  if (rank !== String(expected.rank)) return { refused: `claims rank ${rank.slice(0, 20)}, but only the left neighbour (rank ${expected.rank}) sends to this rank` };
  const session = Buffer.from(sessionHex, 'hex');
  const proof = Buffer.from(proofHex, 'hex');
  if (session.length !== SESSION_BYTES || proof.length !== 32) return { refused: 'malformed rank proof' };
  if (!timingSafeEqual(proof, proofOf(expected.receiveKey, expected.jobId, expected.rank, session))) {
    return { refused: `rank proof does not match the key of rank ${expected.rank} -> this rank: not the assigned left neighbour of this job and ring` };
  }
  if (seenSessions.has(sessionHex)) return { refused: 'replayed session id' };
  seenSessions.add(sessionHex);
  return new FrameMacs(expected.receiveKey, session, 0, 'exchange');
}
