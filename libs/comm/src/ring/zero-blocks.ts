// Zero-block encoding of f32 chunks on the data plane: blocks of ZERO_BLOCK_FLOATS floats whose bits
// are all zero (+0.0) are left out, the rest are sent packed behind a bitmask. Exact: a receiver that
// adds skips what would add +0 (x + +0 = x for every x, -0 included), one that copies writes +0, the
// very bits left out. Gradients of embedding tables are mostly such blocks (a batch touches a few
// hundred of BERT's 30,522 rows), so their chunks shrink to a few percent.
//
// Payload layout (little-endian): u32 blockFloats, u32 nonzero block count, the mask (one bit per
// block, bit i of byte i >> 3 = block i is sent) padded to a multiple of 4 bytes, then the sent blocks'
// floats in order (the last block of a chunk may be short).
//
// It lives in ring/, not data-plane/: the data plane encodes, but the ring applies the payload as it
// reduces (ring-all-reduce.ts), so the format is part of the transport-neutral chunk encoding.
import { ChunkRejectedError } from '../comm-error.ts';

export const ZERO_BLOCK_FLOATS = 64;
/** Encode only when the encoded payload is at most this fraction of the dense one. */
const WORTH_IT = 0.5;
const HEAD_BYTES = 8;

const maskBytesFor = (blocks: number): number => Math.ceil(Math.ceil(blocks / 8) / 4) * 4;

/**
 * Marks the blocks of `blockFloats` floats of `values` that hold a word other than +0.0: zeroes
 * `mask`, sets bit b (byte b >> 3, bit b & 7) for each, returns how many. native-kernels'
 * `nativeNonzeroBlocks()` is one; the default is `scanNonzeroBlocks`.
 */
export type NonzeroBlockScan = (values: Float32Array, blockFloats: number, mask: Uint8Array) => number;

/** The JS scan: stops at the first non-zero word of each block, so dense data costs one read per block. */
export function scanNonzeroBlocks(values: Float32Array, blockFloats: number, mask: Uint8Array): number {
  const n = values.length;
  const words = new Int32Array(values.buffer, values.byteOffset, n);
  mask.fill(0);
  let count = 0;
  for (let b = 0, start = 0; start < n; b++, start += blockFloats) {
    const end = Math.min(n, start + blockFloats);
    let i = start;
    while (i < end && words[i] === 0) i++;
    if (i === end) continue;
    mask[b >> 3]! |= 1 << (b & 7);
    count++;
  }
  return count;
}

/**
 * The chunk's zero-block encoding, or undefined when too few blocks are zero to pay for the copy
 * (the dense chunk then goes out with no copy at all).
 */
export function encodeZeroBlocks(values: Float32Array, blockFloats = ZERO_BLOCK_FLOATS, scan: NonzeroBlockScan = scanNonzeroBlocks): Buffer | undefined {
  const n = values.length;
  if (n < 2 * blockFloats) return undefined;
  const blocks = Math.ceil(n / blockFloats);
  const mask = new Uint8Array(maskBytesFor(blocks));
  const sentBlocks = scan(values, blockFloats, mask);
  const last = blocks - 1;
  const isLastSent = (mask[last >> 3]! & (1 << (last & 7))) !== 0;
  const sentFloats = sentBlocks * blockFloats - (isLastSent ? blocks * blockFloats - n : 0);
  if (HEAD_BYTES + mask.length + sentFloats * 4 > n * 4 * WORTH_IT) return undefined;
  const payload = Buffer.allocUnsafeSlow(HEAD_BYTES + mask.length + sentFloats * 4);
  payload.writeUInt32LE(blockFloats, 0);
  payload.writeUInt32LE(sentBlocks, 4);
  payload.set(mask, HEAD_BYTES);
  const packed = new Float32Array(payload.buffer, payload.byteOffset + HEAD_BYTES + mask.length, sentFloats);
  let at = 0;
  for (let b = 0; b < blocks; b++) {
    if ((mask[b >> 3]! & (1 << (b & 7))) === 0) continue;
    const start = b * blockFloats;
    const end = Math.min(n, start + blockFloats);
    packed.set(values.subarray(start, end), at);
    at += end - start;
  }
  return payload;
}

/**
 * Applies a zero-block payload to `target` (the chunk's place in the buffer): adds the sent blocks
 * (`isSum`, reduce-scatter) or writes them and +0 everywhere else (all-gather). Throws
 * ChunkRejectedError when the payload does not describe a chunk of `target.length` floats.
 */
export function applyZeroBlocks(payload: Uint8Array, target: Float32Array, isSum: boolean): void {
  const n = target.length;
  const fail = (why: string): never => {
    throw new ChunkRejectedError(`malformed zero-block chunk of ${n} floats: ${why}`);
  };
  if (payload.byteLength < HEAD_BYTES || payload.byteOffset % 4 !== 0) fail(`payload of ${payload.byteLength} bytes is too short or misaligned`);
  const head = new DataView(payload.buffer, payload.byteOffset, HEAD_BYTES);
  const blockFloats = head.getUint32(0, true);
  const sentBlocks = head.getUint32(4, true);
  if (blockFloats < 1) fail('block size 0');
  const blocks = Math.ceil(n / blockFloats);
  const maskLength = maskBytesFor(blocks);
  if (payload.byteLength < HEAD_BYTES + maskLength) fail(`payload of ${payload.byteLength} bytes cannot hold the mask of ${blocks} blocks`);
  const mask = payload.subarray(HEAD_BYTES, HEAD_BYTES + maskLength);
  let counted = 0;
  let floats = 0;
  for (let b = 0; b < blocks; b++) {
    if ((mask[b >> 3]! & (1 << (b & 7))) === 0) continue;
    counted++;
    floats += Math.min(n, (b + 1) * blockFloats) - b * blockFloats;
  }
  if (counted !== sentBlocks) fail(`mask marks ${counted} blocks, header says ${sentBlocks}`);
  if (payload.byteLength !== HEAD_BYTES + maskLength + floats * 4) {
    fail(`payload is ${payload.byteLength} bytes, the mask needs ${HEAD_BYTES + maskLength + floats * 4}`);
  }
  const packed = new Float32Array(payload.buffer, payload.byteOffset + HEAD_BYTES + maskLength, floats);
  if (!isSum) target.fill(0);
  let at = 0;
  for (let b = 0; b < blocks; b++) {
    if ((mask[b >> 3]! & (1 << (b & 7))) === 0) continue;
    const start = b * blockFloats;
    const length = Math.min(n, start + blockFloats) - start;
    if (isSum) for (let i = 0; i < length; i++) target[start + i]! += packed[at + i]!;
    else target.set(packed.subarray(at, at + length), start);
    at += length;
  }
}
