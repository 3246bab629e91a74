import type { SharedMemory } from '../data-plane/shared-regions.ts';
import type { CommLogger, GrpcTlsOptions } from '../options.ts';
import type { NonzeroBlockScan } from '../ring/zero-blocks.ts';

export interface GrpcEndpointOptions {
  /** Shared secret of the job; sent as `authorization: Bearer <token>` and required on every call. */
  readonly token: string;
  /** Interface to bind. Default 127.0.0.1: listening on others is a deliberate choice. */
  readonly host?: string;
  /** Default 0: any free port (read it back from `address`). */
  readonly port?: number;
  /** Mutual TLS when given; plaintext otherwise. */
  readonly tls?: GrpcTlsOptions;
  /** Largest chunk payload accepted and sent, 256 KiB to 4 MiB. Default 1 MiB. */
  readonly maxChunkBytes?: number;
  /** Parallel streams (each its own TCP connection) to the right neighbour. Default 2. */
  readonly lanes?: number;
  /**
   * Where chunk payloads travel. 'tcp' (default): a raw, token-authenticated `node:net`
   * connection per lane (`node:tls` when `tls` is given), found through the gRPC endpoint; a
   * neighbour without one is sent to over gRPC. 'grpc': Collective.Exchange streams only, and no
   * data-plane listener (neighbours then send to this rank over gRPC too).
   */
  readonly dataPlane?: 'tcp' | 'grpc';
  /**
   * Over the data plane, send f32 chunks that are mostly zero blocks (embedding gradients) as their
   * non-zero blocks only (ring/zero-blocks.ts; exact). Default true.
   */
  readonly zeroBlocks?: boolean;
  /** The zero-block scan (native-kernels' `nativeNonzeroBlocks()` when built); default the JS one. */
  readonly nonzeroBlocks?: NonzeroBlockScan;
  /**
   * Shared memory (native-kernels' `nativeSharedMemory()`): buffers from `transport.allocate` go to a
   * right neighbour on the same machine by reference, which it reads in place
   * (data-plane/shared-regions.ts), and this rank reads its left neighbour's so. Neighbours that
   * cannot map it get bytes, as without.
   */
  readonly sharedMemory?: SharedMemory;
  readonly logger?: CommLogger;
  /** Data plane: once part of a frame arrived, the rest must follow within this long. Default 10 s. */
  readonly frameReadTimeoutMs?: number;
}

export interface RingAssignment {
  readonly jobId: string;
  readonly rank: number;
  readonly worldSize: number;
  /** host:port of rank (rank + 1) mod worldSize. */
  readonly rightAddress: string;
  /**
   * host:port of rank (rank - 1) mod worldSize, the only sender to this rank. Optional: it only
   * names that rank in errors about its inbound connection (instead of its ephemeral client port).
   */
  readonly leftAddress?: string;
  /**
   * The pair keys of this rank (peer-keys.ts: from the job's fresh secret, given by the coordinator):
   * `sendKey` of (rank -> right neighbour), `receiveKey` of (left neighbour -> rank). Every data-plane
   * connection and Exchange stream proves its pair's key and MACs every frame with it. Without them
   * (tests, a ring formed by hand) both are derived from the token, which proves only the token.
   */
  readonly sendKey?: Uint8Array;
  readonly receiveKey?: Uint8Array;
}
