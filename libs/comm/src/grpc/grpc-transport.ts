import * as grpc from '@grpc/grpc-js';
import type { ExchangeResponse } from '@tunefleet/proto';
import { CommError, PeerUnavailableError } from '../comm-error.ts';
import { FrameKind, encodeBareHeader, encodeChunkHeader } from '../data-plane/data-plane-frame.ts';
import { DataPlaneLane } from '../data-plane/data-plane-lane.ts';
import { derivePairKey } from '../data-plane/peer-keys.ts';
import { raceAbort } from '../data-plane/race-abort.ts';
import { encodeReference, type SharedRegions } from '../data-plane/shared-regions.ts';
import type { CommLogger } from '../options.ts';
import { f32ToBf16, roundToBf16InPlace } from '../ring/bf16.ts';
import { Mailbox } from '../ring/mailbox.ts';
import type { Transport } from '../ring/transport.ts';
import { encodeChunkFrame, type ChunkHeader, type WireDtype } from '../ring/wire-codec.ts';
import { encodeZeroBlocks, ZERO_BLOCK_FLOATS } from '../ring/zero-blocks.ts';
import { classifyGrpcError } from './classify-grpc-error.ts';
import { acceptExchangeSession, openExchangeSession, openFrame } from './exchange-auth.ts';
import { requestOffer, type DataPlaneOffer } from './data-plane-offer.ts';
import { ExchangeLane } from './exchange-lane.ts';
import { channelOptions, shutdown } from './grpc-channel.ts';
import type { GrpcEndpointOptions, RingAssignment } from './grpc-endpoint-options.ts';

/** Deadline of the data-plane offer call and of opening a data-plane connection. */
const DATA_PLANE_SETUP_MS = 10_000;

type ExchangeCall = grpc.ServerReadableStream<Buffer, ExchangeResponse>;
type ExchangeCallback = grpc.sendUnaryData<ExchangeResponse>;

/** What the transport uses of the GrpcCollectiveEndpoint that created it (options as resolved by `listen`). */
export interface TransportEndpoint {
  readonly options: GrpcEndpointOptions;
  readonly logger: CommLogger;
  readonly sharedRegions: SharedRegions | undefined;
  closeDataPlane(): Promise<void>;
}

/**
 * Transport over the Collective service. Create with `GrpcCollectiveEndpoint.join`. Each lane to
 * the right neighbour takes one route, chosen on first use: the neighbour's TCP data plane (as
 * shared-memory references, zero-block encoded or dense) when it offers one and it can be reached,
 * otherwise a Collective.Exchange stream. Failures of either become CommErrors that fail the inbox.
 */
export class GrpcTransport implements Transport {
  readonly jobId: string;
  readonly rank: number;
  readonly worldSize: number;
  readonly maxChunkBytes: number;
  readonly lanes: number;
  readonly inbox: Mailbox;
  readonly rightAddress: string;
  /** Pair keys (RingAssignment): this rank -> right neighbour, and left neighbour -> this rank. */
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** Exchange session ids already accepted (a replayed stream is refused). */
  private readonly seenSessions = new Set<string>();
  /** grpc-js hands the server `framed.subarray(5)` of a fresh buffer: after the 5-byte length prefix. */
  readonly receivedFrameOffset = 5;
  private readonly openLanes: Array<ExchangeLane | undefined>;
  private readonly dataLanes: Array<Promise<DataPlaneLane | undefined> | undefined>;
  private offer: Promise<DataPlaneOffer | undefined> | undefined;
  private readonly sentFrames = { dataPlane: 0, grpc: 0, zeroBlocks: 0, shared: 0 };
  private isClosed = false;

  constructor(
    private readonly endpoint: TransportEndpoint,
    private readonly server: grpc.Server,
    assignment: RingAssignment,
  ) {
    ({ jobId: this.jobId, rank: this.rank, worldSize: this.worldSize, rightAddress: this.rightAddress } = assignment);
    this.maxChunkBytes = endpoint.options.maxChunkBytes!;
    this.lanes = Math.max(1, endpoint.options.lanes ?? 2);
    this.openLanes = new Array<ExchangeLane | undefined>(this.lanes).fill(undefined);
    this.dataLanes = new Array<Promise<DataPlaneLane | undefined> | undefined>(this.lanes).fill(undefined);
    const leftRank = (this.rank + this.worldSize - 1) % this.worldSize;
    this.inbox = new Mailbox({ jobId: this.jobId, leftRank, ...(assignment.leftAddress ? { leftAddress: assignment.leftAddress } : {}), maxPayloadBytes: this.maxChunkBytes });
    const token = endpoint.options.token;
    this.sendKey = assignment.sendKey ?? derivePairKey(token, this.jobId, this.rank, this.rightRank);
    this.receiveKey = assignment.receiveKey ?? derivePairKey(token, this.jobId, leftRank, this.rank);
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
    if (this.isClosed) throw new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`);
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
      sendKey: this.sendKey,
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
      throw new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`);
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
    return this.exchangeLane(lane % this.lanes).write(frame, signal);
  }

  /** The lane's Collective.Exchange stream, opened on first use. */
  private exchangeLane(index: number): ExchangeLane {
    const existing = this.openLanes[index];
    if (existing !== undefined) return existing;
    const lane = new ExchangeLane({
      address: this.rightAddress,
      credentials: this.credentials(),
      channelOptions: this.clientOptions(),
      token: this.endpoint.options.token,
      session: openExchangeSession(this.sendKey, this.jobId, this.rank),
      classify: (error) => (error ? this.classify(error) : new CommError('TRANSPORT_CLOSED', `stream to rank ${this.rightRank} ended`)),
      onFailure: (error) => {
        if (!this.isClosed) this.inbox.fail(error);
      },
    });
    this.openLanes[index] = lane;
    return lane;
  }

  private classify(error: grpc.ServiceError): CommError {
    return classifyGrpcError(error, { rank: this.rank, rightRank: this.rightRank, rightAddress: this.rightAddress, isClosed: this.isClosed });
  }

  /** Server side: frames from the left neighbour go to the mailbox; a bad one ends that stream. */
  receive(call: ExchangeCall, callback: ExchangeCallback): void {
    if (this.isClosed) {
      callback({ code: grpc.status.UNAVAILABLE, details: 'transport closed' });
      return;
    }
    const leftRank = this.inbox.expect.leftRank;
    const session = acceptExchangeSession(call.metadata, { jobId: this.jobId, rank: leftRank, receiveKey: this.receiveKey }, this.seenSessions);
    if ('refused' in session) {
      this.endpoint.logger.warn('refused a Collective.Exchange call', { peer: call.getPeer(), reason: session.refused });
      call.pause();
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'unauthenticated' });
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
        const frame = openFrame(bytes, session);
        if (frame === undefined) throw new CommError('CHUNK_REJECTED', 'frame MAC does not match: the frame was altered, replayed or not sent by the assigned left neighbour');
        this.inbox.deliver(frame);
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
        this.inbox.fail(new PeerUnavailableError(leftRank, this.inbox.expect.leftAddress ?? call.getPeer(), `its stream (from ${call.getPeer()}) to this rank broke mid-collective`));
      }
    });
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.inbox.fail(new CommError('TRANSPORT_CLOSED', `rank ${this.rank}'s transport is closed`));
    for (const lane of this.openLanes) lane?.close();
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
