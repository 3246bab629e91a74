// @tunefleet/comm: moves Float32Arrays between ranks (ring all-reduce). Knows nothing of models.
export { CommError, CollectiveTimeoutError, PeerUnavailableError, ChunkRejectedError } from './errors.ts';
export type { CommErrorCode, StallReport } from './errors.ts';
export { planBuckets, planFlatBuckets, DEFAULT_BUCKET_BYTES } from './bucket-plan.ts';
export type { GradientBucket } from './bucket-plan.ts';
export { f32ToBf16, bf16ToF32, roundToBf16InPlace } from './bf16.ts';
export type { WireDtype, RingPhase } from './wire-codec.ts';
export type { Transport } from './transport.ts';
export { InMemoryTransport } from './in-memory-transport.ts';
export type { InMemoryRingOptions } from './in-memory-transport.ts';
export { GrpcCollectiveEndpoint, GrpcTransport, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES } from './grpc-transport.ts';
export type { GrpcEndpointOptions, GrpcTlsOptions, RingAssignment, CommLogger } from './grpc-transport.ts';
export { ringAllReduce, DEFAULT_CHUNK_BYTES } from './ring-all-reduce.ts';
export type { AddInto, AllReduceOptions } from './ring-all-reduce.ts';
export { ZERO_BLOCK_FLOATS, scanNonzeroBlocks, type NonzeroBlockScan } from './zero-blocks.ts';
export { RingAllReducer } from './ring-all-reducer.ts';
export type { RingAllReducerOptions, AllReduceTotals } from './ring-all-reducer.ts';
export type { SharedMemory } from './shared-regions.ts';
