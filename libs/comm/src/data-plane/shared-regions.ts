// Same-machine data plane: a rank's all-reduce buffer lives in shared memory that its right
// neighbour maps read-only, so a chunk travels as a 12-byte reference (region, offset) instead of its
// bytes through the socket (two kernel copies per byte on loopback). The data-plane connection still
// carries every frame, so ordering, deadlines and errors are the TCP plane's.
//
// 1. The sender allocates the buffer through `SharedRegions.allocate` (transport.allocate): a region
//    of REGION_HEADER_BYTES (a random 16-byte tag) + the floats.
// 2. Before the first chunk from a region on a lane, the sender sends a SHARED_PROBE frame (region id,
//    size, tag, path) and waits for the answer (one round trip per region and lane). The receiver
//    maps the path read-only (SharedMemory.open refuses anything but tunefleet's memory files),
//    compares the tag, and answers SHARED_ACCEPTED, or SHARED_REFUSED (another machine, another
//    process namespace, no addon): the lane then sends that region's chunks as bytes.
// 3. Once accepted, chunks from the region go as references; the receiver reads them in place and
//    answers RELEASED (step, bucket) once it has reduced from one. `settle` waits for those before
//    the collective returns, since the caller then overwrites the buffer.
import { randomBytes } from 'node:crypto';
import { ChunkRejectedError } from '../comm-error.ts';

/** What shared memory the process has (native-kernels' `nativeSharedMemory()`); injected. */
export interface SharedMemory {
  /** Zero-filled read-write memory, and the path under which another process of this machine opens it. */
  create(bytes: number): { buffer: ArrayBuffer; path: string };
  /**
   * Another process's `create`d memory, read-only. Must refuse (throw, saying why) any path that is
   * not such memory: a neighbour holding the token chooses the path.
   */
  open(path: string, bytes: number): ArrayBuffer;
}

export const REGION_HEADER_BYTES = 64;
const TAG_BYTES = 16;
const MAX_PATH_BYTES = 256;
const PROBE_FIXED_BYTES = 12 + TAG_BYTES;

export interface SharedRegion {
  readonly id: number;
  readonly path: string;
  readonly bytes: number;
  readonly tag: Buffer;
}

/** The sender's regions, found again from any view into them. */
export class SharedRegions {
  private readonly byBuffer = new WeakMap<ArrayBufferLike, SharedRegion>();
  private nextId = 1;

  constructor(private readonly memory: SharedMemory) {}

  /** A zero-filled Float32Array of `length` in a new region. */
  allocate(length: number): Float32Array {
    const bytes = REGION_HEADER_BYTES + Math.max(1, length) * 4;
    const { buffer, path } = this.memory.create(bytes);
    const tag = randomBytes(TAG_BYTES);
    new Uint8Array(buffer, 0, TAG_BYTES).set(tag);
    this.byBuffer.set(buffer, { id: this.nextId++, path, bytes, tag });
    return new Float32Array(buffer, REGION_HEADER_BYTES, length);
  }

  /** The region `values` lies in and its byte offset there, or undefined for ordinary memory. */
  locate(values: Float32Array): { region: SharedRegion; byteOffset: number } | undefined {
    const region = this.byBuffer.get(values.buffer);
    return region === undefined ? undefined : { region, byteOffset: values.byteOffset };
  }
}

/** SHARED_PROBE payload: id u32, bytes (u32 low, u32 high), tag, path (UTF-8). */
export function encodeProbe(region: SharedRegion): Buffer {
  const path = Buffer.from(region.path, 'utf8');
  const out = Buffer.alloc(PROBE_FIXED_BYTES + path.length);
  out.writeUInt32LE(region.id, 0);
  out.writeUInt32LE(region.bytes % 2 ** 32, 4);
  out.writeUInt32LE(Math.floor(region.bytes / 2 ** 32), 8);
  region.tag.copy(out, 12);
  path.copy(out, PROBE_FIXED_BYTES);
  return out;
}

export const MAX_PROBE_BYTES = PROBE_FIXED_BYTES + MAX_PATH_BYTES;
export const REFERENCE_BYTES = 12;

/** A shared chunk's payload: region id u32, byte offset (u32 low, u32 high). */
export function encodeReference(regionId: number, byteOffset: number): Buffer {
  const out = Buffer.allocUnsafe(REFERENCE_BYTES);
  out.writeUInt32LE(regionId, 0);
  out.writeUInt32LE(byteOffset % 2 ** 32, 4);
  out.writeUInt32LE(Math.floor(byteOffset / 2 ** 32), 8);
  return out;
}

/** The regions one connection's sender has shared with this rank, mapped read-only. */
export class MappedRegions {
  private readonly mapped = new Map<number, Buffer>();

  constructor(private readonly memory: SharedMemory | undefined) {}

  /** Maps the probed region; returns its id, or throws an Error saying why not (answered SHARED_REFUSED). */
  probe(payload: Uint8Array): number {
    if (payload.byteLength < PROBE_FIXED_BYTES || payload.byteLength > MAX_PROBE_BYTES) throw new Error(`probe of ${payload.byteLength} bytes`);
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const id = bytes.readUInt32LE(0);
    const size = bytes.readUInt32LE(4) + bytes.readUInt32LE(8) * 2 ** 32;
    const tag = bytes.subarray(12, PROBE_FIXED_BYTES);
    const path = bytes.toString('utf8', PROBE_FIXED_BYTES);
    if (this.memory === undefined) throw new Error('this rank has no shared memory (native-kernels addon not built, or TUNEFLEET_SHARED_MEMORY=0)');
    if (!(size > REGION_HEADER_BYTES)) throw new Error(`region of ${size} bytes`);
    const mapped = Buffer.from(this.memory.open(path, size));
    if (!mapped.subarray(0, TAG_BYTES).equals(tag)) throw new Error(`${path} holds another region (tag differs)`);
    this.mapped.set(id, mapped);
    return id;
  }

  /** The referenced bytes, in place; ChunkRejectedError if the reference is not inside a probed region. */
  view(reference: Uint8Array, byteLength: number): Buffer {
    const bytes = Buffer.from(reference.buffer, reference.byteOffset, reference.byteLength);
    const id = bytes.readUInt32LE(0);
    const offset = bytes.readUInt32LE(4) + bytes.readUInt32LE(8) * 2 ** 32;
    const region = this.mapped.get(id);
    if (region === undefined) throw new ChunkRejectedError(`shared chunk refers to region ${id}, which was never accepted on this connection`);
    if (offset < REGION_HEADER_BYTES || offset % 4 !== 0 || offset + byteLength > region.length) {
      throw new ChunkRejectedError(`shared chunk of ${byteLength} bytes at offset ${offset} lies outside region ${id} (${region.length} bytes)`);
    }
    return region.subarray(offset, offset + byteLength);
  }
}
