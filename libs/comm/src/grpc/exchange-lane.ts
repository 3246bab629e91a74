import * as grpc from '@grpc/grpc-js';
import { CollectiveService, ExchangeResponse } from '@tunefleet/proto';
import type { CommError } from '../comm-error.ts';
import type { FrameMacs } from '../data-plane/data-plane-frame.ts';
import { sealFrame } from './exchange-auth.ts';
import { identity } from './grpc-channel.ts';

export interface ExchangeLaneOptions {
  /** host:port of the right neighbour's endpoint. */
  readonly address: string;
  readonly credentials: grpc.ChannelCredentials;
  readonly channelOptions: grpc.ChannelOptions;
  readonly token: string;
  /** The stream's rank proof (exchange-auth.ts): metadata to send and the MACs of its frames. */
  readonly session: { readonly metadata: ReadonlyArray<readonly [string, string]>; readonly macs: FrameMacs };
  /** The CommError the lane fails with when its stream ends (`undefined`) or fails. */
  readonly classify: (error: grpc.ServiceError | undefined) => CommError;
  /** Called once the lane failed, after the senders waiting on it were woken with `error`. */
  readonly onFailure: (error: CommError) => void;
}

/**
 * One Collective.Exchange client stream to the right neighbour (its own connection: the channel
 * options ask for a subchannel per lane), written with backpressure. The route the transport takes
 * to a neighbour without a data plane.
 */
export class ExchangeLane {
  private error: CommError | undefined;
  /** Senders waiting for the stream to drain; woken with the lane's error if it fails. */
  private readonly drainWaiters = new Set<(error?: CommError) => void>();
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientWritableStream<Buffer>;

  constructor(private readonly options: ExchangeLaneOptions) {
    this.client = new grpc.Client(options.address, options.credentials, options.channelOptions);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${options.token}`);
    for (const [key, value] of options.session.metadata) metadata.set(key, value);
    this.call = this.client.makeClientStreamRequest<Buffer, ExchangeResponse>(
      CollectiveService.exchange.path,
      identity,
      (bytes: Buffer) => ExchangeResponse.decode(bytes),
      metadata,
      (error) => this.failed(error ?? undefined),
    );
    this.call.on('error', (error: grpc.ServiceError) => this.failed(error));
    this.call.on('drain', () => {
      const waiters = [...this.drainWaiters];
      this.drainWaiters.clear();
      for (const wake of waiters) wake();
    });
  }

  /** Queues `frame`; resolves at once, or once a backed-up stream drains; rejects with the lane's error. */
  async write(frame: Uint8Array, signal: AbortSignal): Promise<void> {
    if (this.error !== undefined) throw this.error;
    const bytes = sealFrame(frame, this.options.session.macs);
    if (this.call.write(bytes)) return;
    // Backed up: wait for the lane's one 'drain' listener (or its failure) to wake us.
    await new Promise<void>((resolve, reject) => {
      const wake = (error?: CommError): void => {
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => {
        this.drainWaiters.delete(wake);
        reject(signal.reason);
      };
      this.drainWaiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the stream (the neighbour's Exchange call completes) and closes the channel. */
  close(): void {
    this.call.end();
    this.client.close();
  }

  /**
   * The stream ended or failed. Writes are buffered, so no pending send may notice: the transport's
   * `onFailure` fails its inbox too, which ends any running collective at once with this error.
   */
  private failed(error: grpc.ServiceError | undefined): void {
    if (this.error !== undefined) return;
    this.error = this.options.classify(error);
    for (const wake of this.drainWaiters) wake(this.error);
    this.drainWaiters.clear();
    this.options.onFailure(this.error);
  }
}
