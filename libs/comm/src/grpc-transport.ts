import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { CollectiveService, ExchangeResponse } from '@tunefleet/proto';
import { f32ToBf16, roundToBf16InPlace } from './bf16.ts';
import { DATA_PLANE_VERSION, FrameKind, encodeBareHeader, encodeChunkHeader } from './data-plane-frame.ts';
import { DataPlaneLane, raceAbort } from './data-plane-lane.ts';
import { DataPlaneListener } from './data-plane-listener.ts';
import { dataPlaneServiceDefinition, requestOffer, type DataPlaneOffer, type OfferCall, type OfferCallback } from './data-plane-offer.ts';
import { ChunkRejectedError, CommError, PeerUnavailableError } from './errors.ts';
import { raiseServerFlowControlWindow } from './grpc-server-tuning.ts';
import { Mailbox } from './mailbox.ts';
import type { Transport } from './transport.ts';
import { encodeChunkFrame, type ChunkHeader, type WireDtype } from './wire-codec.ts';
import { encodeZeroBlocks, ZERO_BLOCK_FLOATS, type NonzeroBlockScan } from './zero-blocks.ts';
import { encodeReference, SharedRegions, type SharedMemory } from './shared-regions.ts';

/** Frames carry chunks of 256 KiB to 1 MiB (default); the limit adds room for the frame header. */
export const MIN_CHUNK_BYTES = 256 * 1024;
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const FRAME_HEADER_SLACK_BYTES = 4096;
/** 16 MiB: enough in flight to keep a 10 Gb/s link busy at ~10 ms of event-loop jitter. */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;
/** Deadline of the data-plane offer call and of opening a data-plane connection. */
const DATA_PLANE_SETUP_MS = 10_000;

export interface CommLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const consoleLogger: CommLogger = {
  warn: (message, fields) => console.warn(`[comm] ${message}`, fields ?? ''),
};

export interface GrpcTlsOptions {
  /** PEM of the CA that signed every worker's certificate (peers are verified against it). */
  readonly rootCert: Buffer;
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** Name to check in the right neighbour's certificate when dialling it by IP. */
  readonly serverNameOverride?: string;
}

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
   * non-zero blocks only (zero-blocks.ts; exact). Default true.
   */
  readonly zeroBlocks?: boolean;
  /** The zero-block scan (native-kernels' `nativeNonzeroBlocks()` when built); default the JS one. */
  readonly nonzeroBlocks?: NonzeroBlockScan;
  /**
   * Shared memory (native-kernels' `nativeSharedMemory()`): buffers from `transport.allocate` go to a
   * right neighbour on the same machine by reference, which it reads in place (shared-regions.ts),
   * and this rank reads its left neighbour's so. Neighbours that cannot map it get bytes, as without.
   */
  readonly sharedMemory?: SharedMemory;
  readonly logger?: CommLogger;
}

export interface RingAssignment {
  readonly jobId: string;
  readonly rank: number;
  readonly worldSize: number;
  /** host:port of rank (rank + 1) mod worldSize. */
  readonly rightAddress: string;
}

type ExchangeCall = grpc.ServerReadableStream<Buffer, ExchangeResponse>;
type ExchangeCallback = grpc.sendUnaryData<ExchangeResponse>;

const identity = (bytes: Buffer): Buffer => bytes;
const exchangeDefinition = {
  exchange: {
    ...CollectiveService.exchange,
    // Frames are encoded by wire-codec.ts (payload written once, aligned) and decoded by the mailbox.
    requestSerialize: identity,
    requestDeserialize: identity,
  },
} as const;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The gRPC side of one worker: a Collective server (receives from the left neighbour) listening
 * from `listen` on, and, after `join`, client streams to the right neighbour.
 */
export class GrpcCollectiveEndpoint {
  private transport: GrpcTransport | undefined;
  private readonly joinWaiters: Array<(transport: GrpcTransport) => void> = [];
  private readonly expectedDigest: Buffer;
  readonly logger: CommLogger;

  private dataPlaneListener: DataPlaneListener | undefined;
  /** This rank's shared regions (when `sharedMemory` is given). */
  readonly sharedRegions: SharedRegions | undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
    readonly options: GrpcEndpointOptions,
    readonly isFlowControlTuned: boolean,
  ) {
    this.expectedDigest = digest(`Bearer ${options.token}`);
    this.logger = options.logger ?? consoleLogger;
    this.sharedRegions = options.sharedMemory === undefined || options.dataPlane === 'grpc' ? undefined : new SharedRegions(options.sharedMemory);
  }

  static async listen(options: GrpcEndpointOptions): Promise<GrpcCollectiveEndpoint> {
    if (options.token.length < 16) {
      throw new CommError('INVALID_ARGUMENT', `collective token is ${options.token.length} characters; use at least 16 random ones`, false);
    }
    const maxChunkBytes = options.maxChunkBytes ?? 1 << 20;
    if (!(maxChunkBytes >= MIN_CHUNK_BYTES && maxChunkBytes <= MAX_CHUNK_BYTES)) {
      throw new CommError('INVALID_ARGUMENT', `maxChunkBytes ${maxChunkBytes} is outside [${MIN_CHUNK_BYTES}, ${MAX_CHUNK_BYTES}]`, false);
    }
    const server = new grpc.Server(channelOptions(maxChunkBytes));
    const host = options.host ?? '127.0.0.1';
    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(
          options.tls.rootCert,
          [{ cert_chain: options.tls.certChain, private_key: options.tls.privateKey }],
          true,
        )
      : grpc.ServerCredentials.createInsecure();
    const created: { endpoint?: GrpcCollectiveEndpoint } = {};
    server.addService(exchangeDefinition, {
      exchange: (call: ExchangeCall, callback: ExchangeCallback) => created.endpoint!.handleExchange(call, callback),
    });
    server.addService(dataPlaneServiceDefinition, {
      offer: (call: OfferCall, callback: OfferCallback) => created.endpoint!.handleOffer(call, callback),
    });
    const hostPort = host.includes(':') ? `[${host}]` : host;
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${hostPort}:${options.port ?? 0}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const isTuned = raiseServerFlowControlWindow(server, FLOW_CONTROL_WINDOW_BYTES);
    const endpoint = new GrpcCollectiveEndpoint(server, `${hostPort}:${port}`, { ...options, maxChunkBytes }, isTuned);
    if ((options.dataPlane ?? 'tcp') === 'tcp') {
      try {
        endpoint.dataPlaneListener = await DataPlaneListener.listen({
          host,
          token: options.token,
          tls: options.tls,
          maxPayloadBytes: maxChunkBytes,
          logger: endpoint.logger,
          inbox: async () => (await endpoint.joined()).inbox,
          ...(options.sharedMemory !== undefined ? { sharedMemory: options.sharedMemory } : {}),
        });
      } catch (error) {
        await shutdown(server);
        throw error;
      }
    }
    created.endpoint = endpoint;
    return endpoint;
  }

  /** TCP port of this endpoint's data plane (same host as `address`); 0 when it has none. */
  get dataPlanePort(): number {
    return this.dataPlaneListener?.port ?? 0;
  }

  /** Data-plane connections accepted, and how many of them the kernel reads straight into payload buffers. */
  get dataPlaneStats(): { readonly accepted: number; readonly readInPlace: number } {
    return { accepted: this.dataPlaneListener?.acceptedCount ?? 0, readInPlace: this.dataPlaneListener?.readInPlaceCount ?? 0 };
  }

  private joined(): Promise<GrpcTransport> {
    if (this.transport !== undefined) return Promise.resolve(this.transport);
    return new Promise((resolve) => this.joinWaiters.push(resolve));
  }

  /** Stops accepting data-plane connections and drops open ones. */
  async closeDataPlane(): Promise<void> {
    await this.dataPlaneListener?.close();
  }

  /** Takes this worker's place in a ring; frames the left neighbour sent early are held until now. */
  join(assignment: RingAssignment): GrpcTransport {
    if (this.transport !== undefined) {
      throw new CommError('INVALID_ARGUMENT', 'this endpoint already joined a ring; close it and listen again to re-form', false);
    }
    const { rank, worldSize } = assignment;
    if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
      throw new CommError('INVALID_ARGUMENT', `rank ${rank} is not in a ring of ${worldSize}`, false);
    }
    this.transport = new GrpcTransport(this, this.server, assignment);
    for (const waiter of this.joinWaiters.splice(0)) waiter(this.transport);
    return this.transport;
  }

  /** Shuts the server down (and the ring's streams, if joined). */
  async close(): Promise<void> {
    if (this.transport !== undefined) return this.transport.close();
    await Promise.all([shutdown(this.server), this.closeDataPlane()]);
  }

  private isAuthorized(metadata: grpc.Metadata): boolean {
    const values = metadata.get('authorization');
    if (values.length !== 1 || typeof values[0] !== 'string') return false;
    return timingSafeEqual(digest(values[0]), this.expectedDigest);
  }

  private handleOffer(call: OfferCall, callback: OfferCallback): void {
    if (!this.isAuthorized(call.metadata)) {
      const reason = call.metadata.get('authorization').length === 0 ? 'no authorization metadata' : 'wrong bearer token';
      this.logger.warn('refused a DataPlane.Offer call', { peer: call.getPeer(), reason });
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
      return;
    }
    callback(null, { port: this.dataPlanePort, version: DATA_PLANE_VERSION, isTls: this.options.tls !== undefined });
  }

  private handleExchange(call: ExchangeCall, callback: ExchangeCallback): void {
    if (!this.isAuthorized(call.metadata)) {
      const reason = call.metadata.get('authorization').length === 0 ? 'no authorization metadata' : 'wrong bearer token';
      this.logger.warn('refused a Collective.Exchange call', { peer: call.getPeer(), reason });
      // Say nothing about why or about this worker: the caller learns only the status code.
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
      return;
    }
    if (this.transport !== undefined) this.transport.receive(call, callback);
    else this.joinWaiters.push((transport) => transport.receive(call, callback));
  }
}

function channelOptions(maxChunkBytes: number): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': maxChunkBytes + FRAME_HEADER_SLACK_BYTES,
    'grpc.max_send_message_length': maxChunkBytes + FRAME_HEADER_SLACK_BYTES,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  };
}

async function shutdown(server: grpc.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

interface Lane {
  readonly client: grpc.Client;
  readonly call: grpc.ClientWritableStream<Buffer>;
  error: CommError | undefined;
  /** Senders waiting for the stream to drain; woken with the lane's error if it fails. */
  readonly drainWaiters: Set<(error?: CommError) => void>;
}

/** Transport over the Collective service. Create with `GrpcCollectiveEndpoint.join`. */
export class GrpcTransport implements Transport {
  readonly jobId: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly maxChunkBytes: number;
  readonly lanes: number;
  readonly inbox: Mailbox;
  readonly rightAddress: string;
  /** grpc-js hands the server `framed.subarray(5)` of a fresh buffer: after the 5-byte length prefix. */
  readonly receivedFrameOffset = 5;
  private readonly openLanes: Array<Lane | undefined>;
  private readonly dataLanes: Array<Promise<DataPlaneLane | undefined> | undefined>;
  private offer: Promise<DataPlaneOffer | undefined> | undefined;
  private readonly sentFrames = { dataPlane: 0, grpc: 0, zeroBlocks: 0, shared: 0 };
  private isClosed = false;

  constructor(
    private readonly endpoint: GrpcCollectiveEndpoint,
    private readonly server: grpc.Server,
    assignment: RingAssignment,
  ) {
    ({ jobId: this.jobId, rank: this.rank, worldSize: this.worldSize, rightAddress: this.rightAddress } = assignment);
    this.maxChunkBytes = endpoint.options.maxChunkBytes!;
    this.lanes = Math.max(1, endpoint.options.lanes ?? 2);
    this.openLanes = new Array<Lane | undefined>(this.lanes).fill(undefined);
    this.dataLanes = new Array<Promise<DataPlaneLane | undefined> | undefined>(this.lanes).fill(undefined);
    const leftRank = (this.rank + this.worldSize - 1) % this.worldSize;
    this.inbox = new Mailbox({ jobId: this.jobId, leftRank, maxPayloadBytes: this.maxChunkBytes });
  }

  private get rightRank(): number {
    return (this.rank + 1) % this.worldSize;
  }

  /**
   * Frames this rank sent, by path: data-plane connections or gRPC streams; of the data-plane chunks,
   * zeroBlocks were sent zero-block encoded and shared by reference to shared memory.
   */
  get framesSent(): { readonly dataPlane: number; readonly grpc: number; readonly zeroBlocks: number; readonly shared: number } {
    return { ...this.sentFrames };
  }

  /** A zero-filled buffer for allReduce: in shared memory when the endpoint has it (chunks then go by reference). */
  allocate(length: number): Float32Array {
    return this.endpoint.sharedRegions?.allocate(length) ?? new Float32Array(length);
  }

  /** Resolves once the right neighbour has released every chunk of (step, bucketId) this rank sent by reference. */
  async settle(step: number, bucketId: number, signal: AbortSignal): Promise<void> {
    if (this.endpoint.sharedRegions === undefined) return;
    const lanes = await Promise.all(this.dataLanes.map((lane) => (lane === undefined ? undefined : raceAbort(lane, signal))));
    await Promise.all(lanes.map((lane) => lane?.released(step, bucketId, signal)));
  }

  async send(frame: Uint8Array, lane: number, signal: AbortSignal): Promise<void> {
    this.throwIfUnusable(signal);
    const data = await this.dataLane(lane % this.lanes, signal);
    if (data === undefined) return this.sendOverGrpc(frame, lane, signal);
    this.sentFrames.dataPlane++;
    const bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    return data.write(encodeBareHeader(FrameKind.Encoded, bytes.length), bytes, false, signal);
  }

  /**
   * Over the data plane, f32 payloads go from `values` to the socket with no copy (resolves once
   * the kernel has them); bf16 is converted once. Over gRPC, an encoded frame as `send` takes.
   */
  async sendChunk(header: ChunkHeader, values: Float32Array, dtype: WireDtype, isRoundingSource: boolean, lane: number, signal: AbortSignal): Promise<void> {
    this.throwIfUnusable(signal);
    const data = await this.dataLane(lane % this.lanes, signal);
    if (data === undefined) return this.sendOverGrpc(encodeChunkFrame(header, values, dtype, isRoundingSource, this.receivedFrameOffset), lane, signal);
    this.sentFrames.dataPlane++;
    const shared = dtype === 'f32' ? this.endpoint.sharedRegions?.locate(values) : undefined;
    if (shared !== undefined && (await data.shared(shared.region, signal))) {
      this.sentFrames.shared++;
      const head = encodeChunkHeader(header, dtype, values.length, { encoding: 'shared' });
      return data.writeShared(head, encodeReference(shared.region.id, shared.byteOffset), header.step, header.bucketId, signal);
    }
    if (dtype === 'f32' && this.endpoint.options.zeroBlocks !== false) {
      const encoded = encodeZeroBlocks(values, ZERO_BLOCK_FLOATS, this.endpoint.options.nonzeroBlocks);
      if (encoded !== undefined) {
        this.sentFrames.zeroBlocks++;
        return data.write(encodeChunkHeader(header, dtype, values.length, { encoding: 'zero-blocks', bytes: encoded.length }), encoded, false, signal);
      }
    }
    const head = encodeChunkHeader(header, dtype, values.length);
    if (dtype === 'f32') return data.write(head, Buffer.from(values.buffer, values.byteOffset, values.byteLength), true, signal);
    const payload = Buffer.allocUnsafeSlow(values.length * 2);
    f32ToBf16(values, new Uint16Array(payload.buffer, payload.byteOffset, values.length));
    if (isRoundingSource) roundToBf16InPlace(values);
    return data.write(head, payload, false, signal);
  }

  private throwIfUnusable(signal: AbortSignal): void {
    signal.throwIfAborted();
    if (this.isClosed) throw new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`, false);
  }

  /** The lane's data-plane connection, opened on first use; undefined where chunks go over gRPC. */
  private async dataLane(index: number, signal: AbortSignal): Promise<DataPlaneLane | undefined> {
    if (this.endpoint.options.dataPlane === 'grpc') return undefined;
    let lane = this.dataLanes[index];
    if (lane === undefined) {
      lane = this.openDataLane(index);
      this.dataLanes[index] = lane;
      lane.catch((error: CommError) => {
        if (!this.isClosed) this.inbox.fail(error);
      });
    }
    const open = await raceAbort(lane, signal);
    if (open?.failure !== undefined) throw open.failure;
    return open;
  }

  private async openDataLane(index: number): Promise<DataPlaneLane | undefined> {
    this.offer ??= this.requestDataPlane();
    const offer = await this.offer;
    if (offer === undefined) return undefined;
    const host = hostOf(this.rightAddress);
    const opened = await DataPlaneLane.open({
      host,
      port: offer.port,
      tls: this.endpoint.options.tls,
      token: this.endpoint.options.token,
      hello: { jobId: this.jobId, rank: this.rank, lane: index },
      peerRank: this.rightRank,
      peerAddress: this.rightAddress,
      connectTimeoutMs: DATA_PLANE_SETUP_MS,
      onFailure: (error) => {
        if (!this.isClosed) this.inbox.fail(error);
      },
      logger: this.endpoint.logger,
    });
    if ('unreachable' in opened) {
      this.endpoint.logger.warn('data plane of the right neighbour is unreachable; this lane sends over gRPC', { lane: index, reason: opened.unreachable });
      return undefined;
    }
    if (this.isClosed) {
      await opened.close();
      throw new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`, false);
    }
    return opened;
  }

  /** The right neighbour's data-plane offer; undefined when it has none (pure gRPC). */
  private async requestDataPlane(): Promise<DataPlaneOffer | undefined> {
    const client = new grpc.Client(this.rightAddress, this.credentials(), this.clientOptions());
    try {
      const offer = await requestOffer(client, this.endpoint.options.token, DATA_PLANE_SETUP_MS);
      return offer.port === 0 ? undefined : offer;
    } catch (error) {
      const serviceError = error as grpc.ServiceError;
      if (serviceError.code === grpc.status.UNIMPLEMENTED) return undefined; // a peer that predates the data plane
      throw this.classify(serviceError);
    } finally {
      client.close();
    }
  }

  private credentials(): grpc.ChannelCredentials {
    const tls = this.endpoint.options.tls;
    return tls ? grpc.credentials.createSsl(tls.rootCert, tls.privateKey, tls.certChain) : grpc.credentials.createInsecure();
  }

  private clientOptions(): grpc.ChannelOptions {
    const tls = this.endpoint.options.tls;
    return {
      ...channelOptions(this.maxChunkBytes),
      // A connection per lane: parallel TCP streams instead of one shared HTTP/2 session.
      'grpc.use_local_subchannel_pool': 1,
      ...(tls?.serverNameOverride ? { 'grpc.ssl_target_name_override': tls.serverNameOverride } : {}),
    };
  }

  private async sendOverGrpc(frame: Uint8Array, lane: number, signal: AbortSignal): Promise<void> {
    this.sentFrames.grpc++;
    const open = this.lane(lane % this.lanes);
    if (open.error !== undefined) throw open.error;
    const bytes = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    if (open.call.write(bytes)) return;
    // Backed up: wait for the lane's one 'drain' listener (or its failure) to wake us.
    await new Promise<void>((resolve, reject) => {
      const wake = (error?: CommError): void => {
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => {
        open.drainWaiters.delete(wake);
        reject(signal.reason);
      };
      open.drainWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private lane(index: number): Lane {
    const existing = this.openLanes[index];
    if (existing !== undefined) return existing;
    const client = new grpc.Client(this.rightAddress, this.credentials(), this.clientOptions());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${this.endpoint.options.token}`);
    const path = CollectiveService.exchange.path;
    const lane: Lane = {
      client,
      error: undefined,
      drainWaiters: new Set(),
      call: client.makeClientStreamRequest<Buffer, ExchangeResponse>(
        path,
        identity,
        (bytes: Buffer) => ExchangeResponse.decode(bytes),
        metadata,
        (error) => this.laneFailed(lane, error ?? undefined),
      ),
    };
    lane.call.on('error', (error: grpc.ServiceError) => this.laneFailed(lane, error));
    lane.call.on('drain', () => {
      const waiters = [...lane.drainWaiters];
      lane.drainWaiters.clear();
      for (const wake of waiters) wake();
    });
    this.openLanes[index] = lane;
    return lane;
  }

  /**
   * A stream to the right neighbour ended or failed. Writes are buffered, so no pending send may
   * notice: fail the inbox too, which ends any running collective at once with this error.
   */
  private laneFailed(lane: Lane, error: grpc.ServiceError | undefined): void {
    if (lane.error !== undefined) return;
    lane.error = error
      ? this.classify(error)
      : new CommError('TRANSPORT_CLOSED', `stream to rank ${this.rightRank} ended`, false);
    for (const wake of lane.drainWaiters) wake(lane.error);
    lane.drainWaiters.clear();
    if (!this.isClosed) this.inbox.fail(lane.error);
  }

  private classify(error: grpc.ServiceError): CommError {
    const where = `rank ${this.rightRank} at ${this.rightAddress}`;
    switch (error.code) {
      case grpc.status.UNAUTHENTICATED:
        return new CommError('UNAUTHENTICATED', `${where} refused this rank's token; every worker of a job needs the same collective token`, false, { cause: error });
      case grpc.status.INVALID_ARGUMENT:
      case grpc.status.RESOURCE_EXHAUSTED:
        return new ChunkRejectedError(`${where} rejected a frame: ${error.details}`, { cause: error });
      case grpc.status.CANCELLED:
        if (this.isClosed) return new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`, false, { cause: error });
        return new PeerUnavailableError(this.rightRank, this.rightAddress, `stream cancelled (${error.details})`, { cause: error });
      default:
        return new PeerUnavailableError(this.rightRank, this.rightAddress, `${grpc.status[error.code] ?? error.code}: ${error.details}`, { cause: error });
    }
  }

  /** Server side: frames from the left neighbour go to the mailbox; a bad one ends that stream. */
  receive(call: ExchangeCall, callback: ExchangeCallback): void {
    if (this.isClosed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'transport closed' });
      return;
    }
    let framesReceived = 0;
    let isFinished = false;
    const finish = (error: Partial<grpc.StatusObject> | null): void => {
      if (isFinished) return;
      isFinished = true;
      call.removeAllListeners('data');
      if (error) call.pause();
      callback(error, error ? undefined : { framesReceived });
    };
    call.on('data', (bytes: Buffer) => {
      if (isFinished) return;
      try {
        this.inbox.deliver(bytes);
        framesReceived++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.endpoint.logger.warn('rejected a collective frame', { peer: call.getPeer(), reason: message });
        finish({ code: grpc.status.INVALID_ARGUMENT, details: message });
      }
    });
    call.on('end', () => finish(null));
    call.on('cancelled', () => {
      if (isFinished) return;
      isFinished = true;
      // Only a stream that carried valid frames is the left neighbour's; a stranger's is just gone.
      if (!this.isClosed && framesReceived > 0) {
        const leftRank = this.inbox.expect.leftRank;
        this.inbox.fail(new PeerUnavailableError(leftRank, call.getPeer(), 'its stream to this rank broke mid-collective'));
      }
    });
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.inbox.fail(new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`, false));
    for (const lane of this.openLanes) {
      if (lane === undefined) continue;
      lane.call.end();
      lane.client.close();
    }
    const dataLanes = this.dataLanes.map((lane) => lane?.then((open) => open?.close()).catch(() => undefined));
    await Promise.all([...dataLanes, shutdown(this.server), this.endpoint.closeDataPlane()]);
  }
}

/** Host part of "host:port" or "[v6]:port". */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  const host = colon < 0 ? address : address.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
