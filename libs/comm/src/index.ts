// @tunefleet/comm: moves Float32Arrays between ranks (ring all-reduce). Knows nothing of models.
// Three rooms: ring/ (the algorithm and the Transport it needs; no network), data-plane/ (TCP and
// shared-memory chunk transfer), grpc/ (the Collective endpoint and the transport that picks a route).
export { CommError, CollectiveTimeoutError, PeerUnavailableError, ChunkRejectedError } from './comm-error.ts';
export type { CommErrorCode, StallReport } from './comm-error.ts';
export type { CommLogger, GrpcTlsOptions } from './options.ts';
export { planBuckets, planFlatBuckets, DEFAULT_BUCKET_BYTES } from './ring/bucket-plan.ts';
export type { GradientBucket } from './ring/bucket-plan.ts';
export { f32ToBf16, bf16ToF32, roundToBf16InPlace } from './ring/bf16.ts';
export type { WireDtype, RingPhase } from './ring/wire-codec.ts';
export type { Transport } from './ring/transport.ts';
export { InMemoryTransport } from './ring/in-memory-transport.ts';
export type { InMemoryRingOptions } from './ring/in-memory-transport.ts';
export { ringAllReduce, DEFAULT_CHUNK_BYTES } from './ring/ring-all-reduce.ts';
export type { AddInto, AllReduceOptions } from './ring/ring-all-reduce.ts';
export { ZERO_BLOCK_FLOATS, scanNonzeroBlocks, type NonzeroBlockScan } from './ring/zero-blocks.ts';
export { RingAllReducer } from './ring/ring-all-reducer.ts';
export type { RingAllReducerOptions, AllReduceTotals } from './ring/ring-all-reducer.ts';
export type { SharedMemory } from './data-plane/shared-regions.ts';
export { derivePairKey, ringKeysOf, PAIR_KEY_BYTES } from './data-plane/peer-keys.ts';
export { GrpcCollectiveEndpoint } from './grpc/collective-endpoint.ts';
export { GrpcTransport } from './grpc/grpc-transport.ts';
export { MIN_CHUNK_BYTES, MAX_CHUNK_BYTES } from './grpc/grpc-channel.ts';
export type { GrpcEndpointOptions, RingAssignment } from './grpc/grpc-endpoint-options.ts';
export * from './grpc/tls-credentials.ts';
