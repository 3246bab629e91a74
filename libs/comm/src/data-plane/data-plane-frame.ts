import { createCipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ChunkRejectedError } from '../comm-error.ts';
import { MAX_PROBE_BYTES, REFERENCE_BYTES } from './shared-regions.ts';
import { bytesPerElement, type ChunkEncoding, type ChunkHeader, type RingPhase, type WireDtype } from '../ring/wire-codec.ts';

/**
 * Wire format of the bulk data plane: one `node:net` (or `node:tls`) connection per lane from a
 * rank to its right neighbour, carrying bucket payloads with a fixed binary header instead of
 * protobuf-in-HTTP/2, so the receiver copies each payload once (socket read -> payload buffer) and
 * the sender not at all (f32 is written straight from the gradient). All integers little-endian.
 *
 * Connection, numbered as it happens:
 *   1. server -> client  CHALLENGE: "TFDP", version u8, 32 random bytes (nonce)
 *   2. client -> server  HELLO: "TFDP", version u8, 0 u8, lane u16, rank u32, jobId length u16,
 *                        jobId (UTF-8), HMAC-SHA256(pair key, "hello" || nonce || HELLO without the MAC).
 *                        The pair key is the one of (left neighbour -> this rank) of this job and ring
 *                        (peer-keys.ts): only the assigned left neighbour holds it.
 *   3. server -> client  STATUS ok once this rank has joined the ring and checked the HELLO (MAC,
 *                        rank = its left neighbour, job = its job); or STATUS unauthenticated and the
 *                        connection is closed without reading anything else
 *   4. client -> server  frames: a 40-byte header (below), `payloadBytes` of payload, then a 16-byte
 *                        MAC: the GMAC tag of header || payload under this connection's frame key,
 *                        with the frame's number (from 0 on each connection) as the nonce (FrameMacs
 *                        below): no frame can be forged, altered, replayed, dropped or reordered
 *                        unnoticed. A frame whose MAC does not match is refused unread by the ring
 *                        (STATUS rejected, connection closed).
 *   5. server -> client  STATUS rejected (and close) when a frame is refused
 *   6. same machine (shared-regions.ts): client -> server SHARED_PROBE frames; server -> client
 *      STATUS shared-accepted / shared-refused (message: "<region id>[: reason]") and, for every
 *      chunk sent by reference, STATUS released (message: "<step>/<bucketId>") once reduced from
 * STATUS = code u8, message length u16, message (UTF-8).
 *
 * Frame header: kind u8 (1 chunk, 2 encoded ExchangeRequest, 3 goodbye: the sender closes cleanly;
 * a connection that ends without one broke; 4 shared-memory probe), phase u8 (1 reduce-scatter,
 * 2 all-gather), dtype u8 (1 f32, 2 bf16), encoding u8 (0 dense, 1 zero blocks, 2 a 12-byte
 * reference into a shared region; f32 only), payloadBytes u32, step low u32, step high u32,
 * bucketId u32, round u32, chunkIndex u32, rank u32, elementCount u32, "TFD1" u32 (a sync check).
 * The job is the connection's (from HELLO).
 */

/** Changes with the wire format (3: frames end in a 16-byte GMAC tag), so a peer of another version fails at the CHALLENGE. */
export const DATA_PLANE_VERSION = 3;
const MAGIC = Buffer.from('TFDP', 'latin1');
export const NONCE_BYTES = 32;
export const CHALLENGE_BYTES = MAGIC.length + 1 + NONCE_BYTES;
const HELLO_FIXED_BYTES = 14;
/** The HELLO's HMAC-SHA256. */
const MAC_BYTES = 32;
/** The GMAC tag that follows every frame's payload. */
export const FRAME_MAC_BYTES = 16;
export const MAX_JOB_ID_BYTES = 1024;
export const FRAME_HEADER_BYTES = 40;
const FRAME_SYNC = 0x31444654; // "TFD1"
/** An encoded ExchangeRequest frame may hold a chunk (protobuf header, padding) as well as a stall notice. */
const ENCODED_FRAME_SLACK_BYTES = 4096;

export const FrameKind = { Chunk: 1, Encoded: 2, Goodbye: 3, SharedProbe: 4 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const StatusCode = { Ok: 0, Unauthenticated: 1, Rejected: 2, Unavailable: 3, SharedAccepted: 4, SharedRefused: 5, Released: 6 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export function challenge(nonce: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([DATA_PLANE_VERSION]), nonce]);
}

/** The nonce of a CHALLENGE, or undefined if `bytes` is not one. */
export function parseChallenge(bytes: Buffer): Buffer | undefined {
  if (bytes.length !== CHALLENGE_BYTES || !bytes.subarray(0, 4).equals(MAGIC) || bytes[4] !== DATA_PLANE_VERSION) return undefined;
  return bytes.subarray(5);
}

export interface Hello {
  readonly jobId: string;
  readonly rank: number;
  readonly lane: number;
}

function helloMac(key: Uint8Array, nonce: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update('hello').update(nonce).update(body).digest();
}

/** `key` is the pair key of (hello.rank -> the listener's rank), peer-keys.ts. */
export function encodeHello(hello: Hello, key: Uint8Array, nonce: Buffer): Buffer {
  const jobId = Buffer.from(hello.jobId, 'utf8');
  const body = Buffer.alloc(HELLO_FIXED_BYTES + jobId.length);
  MAGIC.copy(body, 0);
  body[4] = DATA_PLANE_VERSION;
  body.writeUInt16LE(hello.lane, 6);
  body.writeUInt32LE(hello.rank, 8);
  body.writeUInt16LE(jobId.length, 12);
  jobId.copy(body, HELLO_FIXED_BYTES);
  return Buffer.concat([body, helloMac(key, nonce, body)]);
}

/** Bytes the HELLO starting with `head` (at least HELLO_FIXED_BYTES long) takes in all; throws if it is not one. */
export function helloLength(head: Buffer): number {
  if (!head.subarray(0, 4).equals(MAGIC)) throw new ChunkRejectedError('no data-plane HELLO (bad magic)');
  if (head[4] !== DATA_PLANE_VERSION) throw new ChunkRejectedError(`data-plane version ${head[4]}, this rank speaks ${DATA_PLANE_VERSION}`);
  const jobIdBytes = head.readUInt16LE(12);
  if (jobIdBytes > MAX_JOB_ID_BYTES) throw new ChunkRejectedError(`HELLO job id of ${jobIdBytes} bytes exceeds ${MAX_JOB_ID_BYTES}`);
  return HELLO_FIXED_BYTES + jobIdBytes + MAC_BYTES;
}
export const HELLO_HEAD_BYTES = HELLO_FIXED_BYTES;

/** The fields a HELLO claims (not yet verified). */
export function parseHello(bytes: Buffer): Hello {
  const body = bytes.subarray(0, bytes.length - MAC_BYTES);
  return { lane: body.readUInt16LE(6), rank: body.readUInt32LE(8), jobId: body.toString('utf8', HELLO_FIXED_BYTES) };
}

/** Whether the HELLO's MAC proves the sender holds `key` (and answers this connection's nonce). */
export function verifyHello(bytes: Buffer, key: Uint8Array, nonce: Buffer): boolean {
  const body = bytes.subarray(0, bytes.length - MAC_BYTES);
  return timingSafeEqual(helloMac(key, nonce, body), bytes.subarray(bytes.length - MAC_BYTES));
}

/**
 * The MACs of one connection's frames, in order; the sender seals, the receiver verifies.
 *
 * Construction (GMAC, NIST SP 800-38D: AES-256-GCM with an empty plaintext, the frame as the
 * additional authenticated data, the 16-byte tag as the MAC), chosen because the MAC sits on the
 * event loop of both ranks for every byte of every gradient: GHASH runs at several GB/s on one core
 * (PCLMULQDQ), HMAC-SHA256 at well under 1 GB/s (BENCHMARKS.md).
 *   frame key = HKDF-SHA256(ikm = pair key, salt = connection nonce,
 *                           info = "tunefleet frames v3" 0 purpose 0 lane u16), 32 bytes
 *   tag(n)    = AES-256-GCM(frame key, iv = n as u64 || 0 u32, aad = header || payload, plaintext = "")
 * The pair key is one direction's (sender -> receiver, peer-keys.ts) and a connection carries frames
 * one way only, so the frame key is per connection and per direction. Its nonce is fresh for every
 * connection (the listener's CHALLENGE; an Exchange stream's session id, which the receiver never
 * accepts twice), so no frame key is ever used on two connections, and within one the 96-bit IV is
 * the frame number, which only counts up: no IV repeats under one key, which is what GCM's security
 * needs (a repeat would leak the hash key). The receiver derives the same key and counts the same way,
 * so a frame that is altered, replayed, dropped or reordered, or MAC'd under another key, fails.
 * `purpose` ("data-plane" or "exchange") keeps the two kinds of connection's keys apart.
 */
export class FrameMacs {
  private readonly key: Buffer;
  private frameNumber = 0n;
  private readonly iv = Buffer.alloc(12);
  constructor(pairKey: Uint8Array, nonce: Uint8Array, lane: number, purpose: 'data-plane' | 'exchange' = 'data-plane') {
    const info = Buffer.alloc(2);
    info.writeUInt16LE(lane);
    this.key = Buffer.from(hkdfSync('sha256', pairKey, nonce, Buffer.concat([Buffer.from(`tunefleet frames v3\0${purpose}\0`, 'latin1'), info]), 32));
  }

  /** The MAC of the next frame (header, then payload). */
  next(header: Uint8Array, payload: Uint8Array | undefined): Buffer {
    this.iv.writeBigUInt64LE(this.frameNumber++, 0); // bytes 8-11 stay 0: 2^64 frames never run out
    const gmac = createCipheriv('aes-256-gcm', this.key, this.iv, { authTagLength: FRAME_MAC_BYTES });
    gmac.setAAD(header);
    if (payload !== undefined && payload.byteLength > 0) gmac.setAAD(payload);
    gmac.final();
    return gmac.getAuthTag();
  }

  /** Whether `mac` is the next frame's; advances either way (a mismatch ends the connection). */
  verifyNext(header: Uint8Array, payload: Uint8Array | undefined, mac: Uint8Array): boolean {
    const expected = this.next(header, payload);
    return mac.byteLength === expected.length && timingSafeEqual(expected, mac);
  }
}

export function encodeStatus(code: StatusCode, message = ''): Buffer {
  const text = Buffer.from(message.slice(0, 2000), 'utf8');
  const out = Buffer.alloc(3 + text.length);
  out[0] = code;
  out.writeUInt16LE(text.length, 1);
  text.copy(out, 3);
  return out;
}

export interface FrameHeader {
  readonly kind: FrameKind;
  readonly payloadBytes: number;
  /** Set when kind is Chunk. */
  readonly chunk?: Omit<ChunkHeader, 'jobId'> & { readonly dtype: WireDtype; readonly elementCount: number; readonly encoding: FrameEncoding };
}

/** A chunk frame's payload: its values, their zero-block encoding, or a reference into shared memory. */
export type FrameEncoding = ChunkEncoding | 'shared';

/**
 * `encoded`: the payload is a zero-block encoding (f32 only) of that many bytes, or a
 * shared-memory reference (f32 only, REFERENCE_BYTES).
 */
export function encodeChunkHeader(
  header: Omit<ChunkHeader, 'jobId'>,
  dtype: WireDtype,
  elementCount: number,
  encoded?: { readonly encoding: 'zero-blocks'; readonly bytes: number } | { readonly encoding: 'shared' },
): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  out[0] = FrameKind.Chunk;
  out[1] = header.phase === 'reduce-scatter' ? 1 : 2;
  out[2] = dtype === 'f32' ? 1 : 2;
  out[3] = encoded === undefined ? 0 : encoded.encoding === 'zero-blocks' ? 1 : 2;
  out.writeUInt32LE(encoded === undefined ? elementCount * bytesPerElement(dtype) : encoded.encoding === 'zero-blocks' ? encoded.bytes : REFERENCE_BYTES, 4);
  out.writeUInt32LE(header.step % 2 ** 32, 8);
  out.writeUInt32LE(Math.floor(header.step / 2 ** 32), 12);
  out.writeUInt32LE(header.bucketId, 16);
  out.writeUInt32LE(header.round, 20);
  out.writeUInt32LE(header.chunkIndex, 24);
  out.writeUInt32LE(header.rank, 28);
  out.writeUInt32LE(elementCount, 32);
  out.writeUInt32LE(FRAME_SYNC, 36);
  return out;
}

export function encodeBareHeader(kind: typeof FrameKind.Encoded | typeof FrameKind.Goodbye | typeof FrameKind.SharedProbe, payloadBytes: number): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES);
  out[0] = kind;
  out.writeUInt32LE(payloadBytes, 4);
  out.writeUInt32LE(FRAME_SYNC, 36);
  return out;
}

/** Validates a frame header before any of its payload is read; throws ChunkRejectedError saying what is wrong. */
export function decodeFrameHeader(bytes: Buffer, maxPayloadBytes: number): FrameHeader {
  if (bytes.readUInt32LE(36) !== FRAME_SYNC) throw new ChunkRejectedError('malformed data-plane frame: header sync word missing (stream out of step)');
  const kind = bytes[0]!;
  const payloadBytes = bytes.readUInt32LE(4);
  if (kind === FrameKind.Encoded) {
    if (payloadBytes > maxPayloadBytes + ENCODED_FRAME_SLACK_BYTES) {
      throw new ChunkRejectedError(`encoded frame of ${payloadBytes} bytes exceeds this rank's limit of ${maxPayloadBytes + ENCODED_FRAME_SLACK_BYTES} bytes`);
    }
    return { kind, payloadBytes };
  }
  if (kind === FrameKind.Goodbye) {
    if (payloadBytes !== 0) throw new ChunkRejectedError(`malformed goodbye frame: ${payloadBytes} payload bytes, expected 0`);
    return { kind, payloadBytes };
  }
  if (kind === FrameKind.SharedProbe) {
    if (payloadBytes > MAX_PROBE_BYTES) throw new ChunkRejectedError(`shared-memory probe of ${payloadBytes} bytes exceeds ${MAX_PROBE_BYTES}`);
    return { kind, payloadBytes };
  }
  if (kind !== FrameKind.Chunk) throw new ChunkRejectedError(`malformed data-plane frame: kind ${kind}, expected 1 (chunk), 2 (encoded), 3 (goodbye) or 4 (probe)`);
  const phaseCode = bytes[1]!;
  const dtypeCode = bytes[2]!;
  const phase: RingPhase | undefined = phaseCode === 1 ? 'reduce-scatter' : phaseCode === 2 ? 'all-gather' : undefined;
  if (phase === undefined) throw new ChunkRejectedError(`malformed chunk: phase ${phaseCode} is not REDUCE_SCATTER or ALL_GATHER`);
  const dtype: WireDtype | undefined = dtypeCode === 1 ? 'f32' : dtypeCode === 2 ? 'bf16' : undefined;
  if (dtype === undefined) throw new ChunkRejectedError(`malformed chunk: dtype ${dtypeCode} is not F32 or BF16`);
  const elementCount = bytes.readUInt32LE(32);
  const encodingCode = bytes[3]!;
  const encoding: FrameEncoding | undefined =
    encodingCode === 0 ? 'dense' : encodingCode === 1 && dtype === 'f32' ? 'zero-blocks' : encodingCode === 2 && dtype === 'f32' ? 'shared' : undefined;
  if (encoding === undefined) throw new ChunkRejectedError(`malformed chunk: encoding ${encodingCode} is not DENSE, or ZERO_BLOCKS or SHARED (f32 only)`);
  const denseBytes = elementCount * bytesPerElement(dtype);
  if (encoding === 'shared') {
    if (payloadBytes !== REFERENCE_BYTES) throw new ChunkRejectedError(`malformed shared chunk: payload is ${payloadBytes} bytes, expected ${REFERENCE_BYTES}`);
    if (denseBytes > maxPayloadBytes) {
      throw new ChunkRejectedError(`shared chunk of ${elementCount} f32 (${denseBytes} bytes) exceeds this rank's limit of ${maxPayloadBytes} bytes`);
    }
  } else if (payloadBytes > maxPayloadBytes) {
    throw new ChunkRejectedError(
      `chunk of ${elementCount} ${dtype} (${payloadBytes} bytes) exceeds this rank's limit of ${maxPayloadBytes} bytes; ` +
        "lower the sender's chunk size or raise the receiver's maxChunkBytes",
    );
  }
  if (encoding === 'dense' ? payloadBytes !== denseBytes : encoding === 'zero-blocks' && payloadBytes > denseBytes) {
    throw new ChunkRejectedError(
      `malformed chunk: payload is ${payloadBytes} bytes, expected ${encoding === 'dense' ? '' : 'at most '}${elementCount} ${dtype} = ${denseBytes} bytes`,
    );
  }
  const chunk = {
    step: bytes.readUInt32LE(8) + bytes.readUInt32LE(12) * 2 ** 32,
    bucketId: bytes.readUInt32LE(16),
    phase,
    round: bytes.readUInt32LE(20),
    chunkIndex: bytes.readUInt32LE(24),
    rank: bytes.readUInt32LE(28),
    dtype,
    elementCount,
    encoding,
  };
  return { kind, payloadBytes, chunk };
}
