import { Dtype, Phase, StallNotice } from '@tunefleet/proto';
import { f32ToBf16, roundToBf16InPlace } from './bf16.ts';
import { ChunkRejectedError, CommError } from '../comm-error.ts';

/**
 * Hand-rolled codec for the hot path of `tunefleet.v1.ExchangeRequest` (collective.proto): the
 * payload is written once, straight from the gradient into the frame, at a 4-byte-aligned offset,
 * so the receiver can view it as a Float32Array without copying. Bytes are plain protobuf: the
 * generated decoder reads them and this decoder reads the generated encoder's output (see
 * wire-codec.spec.ts). Stall notices are rare and small and use the generated code.
 */

export type WireDtype = 'f32' | 'bf16';
export type RingPhase = 'reduce-scatter' | 'all-gather';

export interface ChunkHeader {
  readonly jobId: string;
  readonly step: number;
  readonly bucketId: number;
  readonly phase: RingPhase;
  readonly round: number;
  readonly chunkIndex: number;
  /** Sender. */
  readonly rank: number;
}

/** How a chunk's payload holds its values: all of them, or only its non-zero blocks (zero-blocks.ts, data plane, f32). */
export type ChunkEncoding = 'dense' | 'zero-blocks';

export interface DecodedChunk extends ChunkHeader {
  readonly kind: 'chunk';
  /** Default 'dense'. */
  readonly encoding?: ChunkEncoding;
  readonly dtype: WireDtype;
  readonly elementCount: number;
  /** View into the received frame (no copy). */
  readonly payload: Uint8Array;
  /** Called once the payload has been used: a transport may reuse its memory. */
  readonly release?: () => void;
}

export interface DecodedStallNotice {
  readonly kind: 'stall';
  readonly notice: StallNotice;
}

export type DecodedFrame = DecodedChunk | DecodedStallNotice;

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!isLittleEndian) {
  throw new CommError('INVALID_ARGUMENT', '@tunefleet/comm assumes a little-endian host (payloads are little-endian f32/bf16)');
}

const WIRE_LEN = 2;
const TAG_CHUNK = (1 << 3) | WIRE_LEN;
const TAG_STALL = (2 << 3) | WIRE_LEN;
const TAG_PADDING = (14 << 3) | WIRE_LEN;
const TAG_PAYLOAD = (15 << 3) | WIRE_LEN;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function bytesPerElement(dtype: WireDtype): number {
  return dtype === 'f32' ? 4 : 2;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  out[at++] = value;
  return at;
}

/** Scalar fields 2..9 in field order, zero values omitted as proto3 encoders do. */
function scalarFields(header: ChunkHeader, dtype: WireDtype, elementCount: number): Array<[number, number]> {
  const fields: Array<[number, number]> = [
    [2, header.step],
    [3, header.bucketId],
    [4, header.phase === 'reduce-scatter' ? Phase.PHASE_REDUCE_SCATTER : Phase.PHASE_ALL_GATHER],
    [5, header.round],
    [6, header.chunkIndex],
    [7, header.rank],
    [8, dtype === 'f32' ? Dtype.DTYPE_F32 : Dtype.DTYPE_BF16],
    [9, elementCount],
  ];
  return fields.filter(([, value]) => value !== 0);
}

/**
 * Encodes `values` (one chunk of a gradient segment) as an ExchangeRequest frame, padded so its
 * payload is aligned at the receiver (see Transport.receivedFrameOffset). With bf16 and
 * `isRoundingSource`, `values` are rounded in place to what receivers will see, so the rank that
 * owns a reduced segment keeps exactly the values it broadcasts.
 */
export function encodeChunkFrame(
  header: ChunkHeader,
  values: Float32Array,
  dtype: WireDtype,
  isRoundingSource = false,
  receivedFrameOffset = 0,
): Buffer {
  const jobIdBytes = textEncoder.encode(header.jobId);
  const scalars = scalarFields(header, dtype, values.length);
  let headerSize = jobIdBytes.length > 0 ? 1 + varintSize(jobIdBytes.length) + jobIdBytes.length : 0;
  for (const [field, value] of scalars) headerSize += varintSize(field << 3) + varintSize(value);
  const payloadSize = values.length * bytesPerElement(dtype);
  const payloadField = 1 + varintSize(payloadSize) + payloadSize;
  // Choose a padding length so that the payload is 4-byte aligned where the receiver sees it: the
  // frame will sit at a byte offset = receivedFrameOffset (mod 4) in the receiver's buffer.
  let padding = 0;
  let chunkSize = 0;
  let payloadOffset = 0;
  for (; padding < 8; padding++) {
    chunkSize = headerSize + 2 + padding + payloadField;
    payloadOffset = 1 + varintSize(chunkSize) + headerSize + 2 + padding + 1 + varintSize(payloadSize);
    if ((receivedFrameOffset + payloadOffset) % 4 === 0) break;
  }
  const frameSize = 1 + varintSize(chunkSize) + chunkSize;
  // Unpooled and not zero-filled (every byte is written below), placed so that the payload is also
  // aligned in this buffer, for the Float32Array view that fills it.
  const lead = (4 - (payloadOffset % 4)) % 4;
  const frame = Buffer.from(Buffer.allocUnsafeSlow(frameSize + lead).buffer, lead, frameSize);
  let at = 0;
  frame[at++] = TAG_CHUNK;
  at = writeVarint(frame, at, chunkSize);
  if (jobIdBytes.length > 0) {
    frame[at++] = (1 << 3) | WIRE_LEN;
    at = writeVarint(frame, at, jobIdBytes.length);
    frame.set(jobIdBytes, at);
    at += jobIdBytes.length;
  }
  for (const [field, value] of scalars) {
    at = writeVarint(frame, at, field << 3);
    at = writeVarint(frame, at, value);
  }
  frame[at++] = TAG_PADDING;
  frame[at++] = padding;
  frame.fill(0, at, at + padding);
  at += padding;
  frame[at++] = TAG_PAYLOAD;
  at = writeVarint(frame, at, payloadSize);
  if (at !== payloadOffset || at + payloadSize !== frameSize) {
    throw new CommError('INVALID_ARGUMENT', `chunk frame layout error: payload at ${at}, expected ${payloadOffset}`);
  }
  if (dtype === 'f32') {
    new Float32Array(frame.buffer, frame.byteOffset + at, values.length).set(values);
  } else {
    f32ToBf16(values, new Uint16Array(frame.buffer, frame.byteOffset + at, values.length));
    if (isRoundingSource) roundToBf16InPlace(values);
  }
  return frame;
}

export function encodeStallNoticeFrame(notice: StallNotice): Buffer {
  const body = StallNotice.encode(notice).finish();
  const frame = Buffer.alloc(1 + varintSize(body.length) + body.length);
  const at = writeVarint(frame, 1, body.length);
  frame[0] = TAG_STALL;
  frame.set(body, at);
  return frame;
}

class FrameReader {
  at: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.at = start;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) throw new ChunkRejectedError('malformed frame: truncated varint');
      const byte = this.bytes[this.at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw new ChunkRejectedError('malformed frame: varint exceeds 2^53');
        return value;
      }
      scale *= 128;
    }
    throw new ChunkRejectedError('malformed frame: varint longer than 10 bytes');
  }

  lengthDelimited(): [start: number, end: number] {
    const length = this.varint();
    const start = this.at;
    if (length > this.end - start) {
      throw new ChunkRejectedError(`malformed frame: field of ${length} bytes overruns the frame (${this.end - start} left)`);
    }
    this.at = start + length;
    return [start, start + length];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 1 || wireType === 5) {
      this.at += wireType === 1 ? 8 : 4;
      if (this.at > this.end) throw new ChunkRejectedError('malformed frame: truncated fixed-width field');
    } else throw new ChunkRejectedError(`malformed frame: unsupported wire type ${wireType}`);
  }
}

export interface DecodeLimits {
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number;
}

/** Decodes one frame; throws ChunkRejectedError (with what was wrong) on anything malformed. */
export function decodeFrame(bytes: Uint8Array, limits: DecodeLimits): DecodedFrame {
  const outer = new FrameReader(bytes, 0, bytes.length);
  if (bytes.length === 0) throw new ChunkRejectedError('malformed frame: empty (expected a chunk or a stall notice)');
  const tag = outer.varint();
  const [start, end] = tag === TAG_CHUNK || tag === TAG_STALL ? outer.lengthDelimited() : [0, 0];
  if (tag === TAG_STALL) {
    try {
      return { kind: 'stall', notice: StallNotice.decode(bytes.subarray(start, end)) };
    } catch (error) {
      throw new ChunkRejectedError(`malformed stall notice: ${(error as Error).message}`, { cause: error });
    }
  }
  if (tag !== TAG_CHUNK) throw new ChunkRejectedError(`malformed frame: tag ${tag}, expected field 1 (chunk) or 2 (stall notice)`);
  if (outer.at !== bytes.length) throw new ChunkRejectedError('malformed frame: trailing bytes after the chunk');
  return decodeChunk(new FrameReader(bytes, start, end), limits);
}

function decodeChunk(reader: FrameReader, limits: DecodeLimits): DecodedChunk {
  const scalars = new Array<number>(10).fill(0);
  let jobId = '';
  let payload: Uint8Array = new Uint8Array(0);
  while (reader.at < reader.end) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (field === 1 && wireType === WIRE_LEN) {
      const [s, e] = reader.lengthDelimited();
      try {
        jobId = textDecoder.decode(reader.bytes.subarray(s, e));
      } catch (error) {
        throw new ChunkRejectedError('malformed chunk: job_id is not UTF-8', { cause: error });
      }
    } else if (field >= 2 && field <= 9 && wireType === 0) {
      scalars[field] = reader.varint();
    } else if (field === 15 && wireType === WIRE_LEN) {
      const [s, e] = reader.lengthDelimited();
      payload = reader.bytes.subarray(s, e);
    } else {
      reader.skip(wireType);
    }
  }
  const [phaseCode, dtypeCode, elementCount] = [scalars[4]!, scalars[8]!, scalars[9]!];
  const phase: RingPhase | undefined =
    phaseCode === Phase.PHASE_REDUCE_SCATTER ? 'reduce-scatter' : phaseCode === Phase.PHASE_ALL_GATHER ? 'all-gather' : undefined;
  if (phase === undefined) throw new ChunkRejectedError(`malformed chunk: phase ${phaseCode} is not REDUCE_SCATTER or ALL_GATHER`);
  const dtype: WireDtype | undefined = dtypeCode === Dtype.DTYPE_F32 ? 'f32' : dtypeCode === Dtype.DTYPE_BF16 ? 'bf16' : undefined;
  if (dtype === undefined) throw new ChunkRejectedError(`malformed chunk: dtype ${dtypeCode} is not F32 or BF16`);
  if (elementCount * bytesPerElement(dtype) > limits.maxPayloadBytes) {
    throw new ChunkRejectedError(
      `chunk of ${elementCount} ${dtype} (${elementCount * bytesPerElement(dtype)} bytes) exceeds this rank's limit of ` +
        `${limits.maxPayloadBytes} bytes; lower the sender's chunk size or raise the receiver's maxChunkBytes`,
    );
  }
  if (payload.length !== elementCount * bytesPerElement(dtype)) {
    throw new ChunkRejectedError(
      `malformed chunk: payload is ${payload.length} bytes, expected ${elementCount} ${dtype} = ${elementCount * bytesPerElement(dtype)} bytes`,
    );
  }
  return {
    kind: 'chunk',
    jobId,
    step: scalars[2]!,
    bucketId: scalars[3]!,
    phase,
    round: scalars[5]!,
    chunkIndex: scalars[6]!,
    rank: scalars[7]!,
    dtype,
    elementCount,
    payload,
  };
}
