import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { CollectiveService, type ExchangeResponse } from '@tunefleet/proto';
import { CommError } from '../comm-error.ts';
import { DATA_PLANE_VERSION } from '../data-plane/data-plane-frame.ts';
import { DataPlaneListener } from '../data-plane/data-plane-listener.ts';
import { SharedRegions } from '../data-plane/shared-regions.ts';
import { consoleLogger, type CommLogger } from '../options.ts';
import { dataPlaneServiceDefinition, type OfferCall, type OfferCallback } from './data-plane-offer.ts';
import { channelOptions, FLOW_CONTROL_WINDOW_BYTES, identity, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, shutdown } from './grpc-channel.ts';
import type { GrpcEndpointOptions, RingAssignment } from './grpc-endpoint-options.ts';
import { raiseServerFlowControlWindow } from './grpc-server-tuning.ts';
import { GrpcTransport } from './grpc-transport.ts';

type ExchangeCall = grpc.ServerReadableStream<Buffer, ExchangeResponse>;
type ExchangeCallback = grpc.sendUnaryData<ExchangeResponse>;

const exchangeDefinition = {
  exchange: {
    ...CollectiveService.exchange,
    // Frames are encoded by wire-codec.ts (payload written once, aligned) and decoded by the mailbox.
    requestSerialize: identity,
    requestDeserialize: identity,
  },
} as const;

/** The grpc.health.v1 service name of a worker's collective server, besides '' (the whole server). */
export const COLLECTIVE_HEALTH_SERVICE = 'tunefleet.v1.Collective';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The gRPC side of one worker: a Collective server (receives from the left neighbour) listening
 * from `listen` on, and, after `join`, client streams to the right neighbour. Every call, Exchange
 * and DataPlane.Offer alike, must carry the job's bearer token; the endpoint checks it in constant
 * time and tells a refused caller nothing but UNAUTHENTICATED.
 */
export class GrpcCollectiveEndpoint {
  private transport: GrpcTransport | undefined;
  private readonly joinWaiters: Array<(transport: GrpcTransport) => void> = [];
  private readonly expectedDigest: Buffer;
  readonly logger: CommLogger;

  private dataPlaneListener: DataPlaneListener | undefined;
  private setHealth: (status: 'SERVING' | 'NOT_SERVING') => void = () => {};
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
      throw new CommError('INVALID_ARGUMENT', `collective token is ${options.token.length} characters; use at least 16 random ones`);
    }
    const maxChunkBytes = options.maxChunkBytes ?? 1 << 20;
    if (!(maxChunkBytes >= MIN_CHUNK_BYTES && maxChunkBytes <= MAX_CHUNK_BYTES)) {
      throw new CommError('INVALID_ARGUMENT', `maxChunkBytes ${maxChunkBytes} is outside [${MIN_CHUNK_BYTES}, ${MAX_CHUNK_BYTES}]`);
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
    // grpc.health.v1, the one service answered without the token (kubelet probes cannot send one;
    // a status tells a caller nothing else): SERVING once listening, NOT_SERVING while closing.
    const health = new HealthImplementation({ '': 'NOT_SERVING', [COLLECTIVE_HEALTH_SERVICE]: 'NOT_SERVING' });
    health.addToServer(server);
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
          tls: options.tls,
          maxPayloadBytes: maxChunkBytes,
          logger: endpoint.logger,
          joined: async () => {
            const transport = await endpoint.joined();
            return { inbox: transport.inbox, expected: { jobId: transport.jobId, rank: transport.inbox.expect.leftRank, receiveKey: transport.receiveKey } };
          },
          ...(options.frameReadTimeoutMs !== undefined ? { frameReadTimeoutMs: options.frameReadTimeoutMs } : {}),
          ...(options.sharedMemory !== undefined ? { sharedMemory: options.sharedMemory } : {}),
        });
      } catch (error) {
        await shutdown(server);
        throw error;
      }
    }
    created.endpoint = endpoint;
    endpoint.setHealth = (status) => {
      health.setStatus('', status);
      health.setStatus(COLLECTIVE_HEALTH_SERVICE, status);
    };
    endpoint.setHealth('SERVING');
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
      throw new CommError('INVALID_ARGUMENT', 'this endpoint already joined a ring; close it and listen again to re-form');
    }
    const { rank, worldSize } = assignment;
    if (!Number.isInteger(worldSize) || worldSize < 1 || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
      throw new CommError('INVALID_ARGUMENT', `rank ${rank} is not in a ring of ${worldSize}`);
    }
    this.transport = new GrpcTransport(this, this.server, assignment);
    for (const waiter of this.joinWaiters.splice(0)) waiter(this.transport);
    return this.transport;
  }

  /** Shuts the server down (and the ring's streams, if joined). */
  async close(): Promise<void> {
    this.setHealth('NOT_SERVING');
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
