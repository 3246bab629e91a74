import net from 'node:net';
import tls from 'node:tls';
import { ChunkRejectedError, CommError, PeerUnavailableError } from '../comm-error.ts';
import { CHALLENGE_BYTES, FrameKind, FrameMacs, StatusCode, encodeBareHeader, encodeHello, parseChallenge, type Hello } from './data-plane-frame.ts';
import type { CommLogger, GrpcTlsOptions } from '../options.ts';
import { DataPlaneStatusError } from './data-plane-error.ts';
import { raceAbort } from './race-abort.ts';
import { encodeProbe, type SharedRegion } from './shared-regions.ts';

/** For the lane's own small frames (probes), which nothing aborts. */
const NEVER_ABORTED = new AbortController().signal;

export interface DataPlaneLaneOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: GrpcTlsOptions;
  /** The pair key of (this rank -> the right neighbour), peer-keys.ts: proves the HELLO and MACs every frame. */
  readonly sendKey: Uint8Array;
  readonly hello: Hello;
  /** The right neighbour, for error messages. */
  readonly peerRank: number;
  readonly peerAddress: string;
  readonly connectTimeoutMs: number;
  /** Called once if the lane breaks after it opened (the neighbour refused a frame, or went away). */
  readonly onFailure: (error: CommError) => void;
  readonly logger?: CommLogger;
}

/** Why a lane could not be opened at the TCP level (the caller may fall back to gRPC). */
export interface Unreachable {
  readonly unreachable: string;
}

/** Reads STATUS messages (code u8, length u16, message) from `bytes`, keeping a partial one. */
class StatusReader {
  private pending: Buffer = Buffer.alloc(0);
  push(data: Buffer): Array<{ code: number; message: string }> {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const out: Array<{ code: number; message: string }> = [];
    while (this.pending.length >= 3) {
      const length = this.pending.readUInt16LE(1);
      if (this.pending.length < 3 + length) break;
      out.push({ code: this.pending[0]!, message: this.pending.toString('utf8', 3, 3 + length) });
      this.pending = this.pending.subarray(3 + length);
    }
    return out;
  }
}

/**
 * Sending side of one data-plane lane: a connection to the right neighbour's DataPlaneListener.
 * Writes are zero-copy: a borrowed payload (a view of the caller's gradient) is read by the kernel
 * straight from it, so `write` resolves only once the socket has taken all of it.
 */
export class DataPlaneLane {
  private error: CommError | undefined;
  private readonly pendingRejects = new Set<(error: CommError) => void>();
  /** The neighbour's answer to each region's probe (true: it reads the region in place). */
  private readonly sharedAnswers = new Map<number, Promise<boolean>>();
  /** Probes not answered yet, by region id. */
  private readonly probeWaiters = new Map<number, { resolve: (isAccepted: boolean) => void; reject: (error: unknown) => void }>();
  /** Chunks sent by reference and not yet released by the neighbour, per "step/bucketId". */
  private readonly unreleased = new Map<string, { count: number; waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> }>();

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: DataPlaneLaneOptions,
    private readonly macs: FrameMacs,
  ) {}

  static async open(options: DataPlaneLaneOptions): Promise<DataPlaneLane | Unreachable> {
    const { host, port } = options;
    const where = `${host}:${port}`;
    const socket = options.tls
      ? tls.connect({
          host,
          port,
          ca: options.tls.rootCert,
          cert: options.tls.certChain,
          key: options.tls.privateKey,
          servername: options.tls.serverNameOverride ?? (net.isIP(host) ? undefined : host),
          minVersion: 'TLSv1.2',
        })
      : net.connect({ host, port, noDelay: true });
    socket.setNoDelay(true);
    socket.setTimeout(options.connectTimeoutMs);
    const reader = new StatusReader();
    let stage: 'connect' | 'challenge' | 'status' = 'connect';
    let received: Buffer = Buffer.alloc(0);
    let macs: FrameMacs | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error): void => reject(error);
        socket.once(options.tls ? 'secureConnect' : 'connect', () => (stage = 'challenge'));
        socket.on('error', fail);
        socket.on('timeout', () => fail(new Error(`no answer within ${options.connectTimeoutMs} ms`)));
        socket.on('close', () => fail(new Error('connection closed during the data-plane handshake')));
        socket.on('data', (data: Buffer) => {
          if (stage === 'challenge') {
            received = Buffer.concat([received, data]);
            if (received.length < CHALLENGE_BYTES) return;
            const nonce = parseChallenge(received.subarray(0, CHALLENGE_BYTES));
            if (nonce === undefined) return fail(new Error('the peer did not send a data-plane CHALLENGE'));
            socket.write(encodeHello(options.hello, options.sendKey, nonce));
            macs = new FrameMacs(options.sendKey, nonce, options.hello.lane);
            stage = 'status';
            data = received.subarray(CHALLENGE_BYTES);
          }
          const [status] = reader.push(data);
          if (status === undefined) return;
          if (status.code === StatusCode.Ok) resolve();
          else fail(new DataPlaneStatusError(status.code, status.message));
        });
      });
    } catch (error) {
      socket.destroy();
      if (error instanceof DataPlaneStatusError && error.code === 'UNAUTHENTICATED') {
        throw new CommError(
          'UNAUTHENTICATED',
          `rank ${options.peerRank} at ${options.peerAddress} refused this rank's data-plane HELLO: it does not take this rank as its assigned left neighbour (another job or ring generation, or a different key); check both workers' assignments`,
        );
      }
      if (stage === 'connect') return { unreachable: `${where}: ${(error as Error).message}` };
      throw new PeerUnavailableError(options.peerRank, options.peerAddress, `data plane ${where}: ${(error as Error).message}`, { cause: error });
    }
    socket.removeAllListeners('data');
    socket.removeAllListeners('error');
    socket.removeAllListeners('timeout');
    socket.removeAllListeners('close');
    socket.setTimeout(0);
    const lane = new DataPlaneLane(socket, options, macs!);
    socket.on('data', (data: Buffer) => {
      for (const status of reader.push(data)) lane.onStatus(status.code, status.message);
    });
    socket.on('error', (error: Error) =>
      lane.fail(new PeerUnavailableError(options.peerRank, options.peerAddress, `data-plane connection failed (${error.message})`, { cause: error })),
    );
    socket.on('close', () => lane.fail(new PeerUnavailableError(options.peerRank, options.peerAddress, 'it closed its data-plane connection')));
    return lane;
  }

  private onStatus(code: number, message: string): void {
    if (code === StatusCode.Released) return this.onReleased(message);
    if (code === StatusCode.SharedAccepted || code === StatusCode.SharedRefused) {
      const id = Number.parseInt(message, 10);
      const waiter = this.probeWaiters.get(id);
      if (waiter === undefined) return this.fail(this.statusError(StatusCode.Rejected, `answered a shared-memory probe never sent (${message})`));
      this.probeWaiters.delete(id);
      waiter.resolve(code === StatusCode.SharedAccepted);
      if (code === StatusCode.SharedRefused) {
        this.options.logger?.warn('the right neighbour cannot read this rank\'s shared memory; its chunks go through the socket', {
          peer: this.options.peerAddress,
          reason: message,
        });
      }
      return;
    }
    this.fail(this.statusError(code, message));
  }

  private onReleased(key: string): void {
    const entry = this.unreleased.get(key);
    if (entry === undefined || entry.count === 0) return this.fail(this.statusError(StatusCode.Rejected, `released a shared chunk of ${key}, none outstanding`));
    entry.count--;
    if (entry.count > 0) return;
    this.unreleased.delete(key);
    for (const waiter of entry.waiters) waiter.resolve();
  }

  /**
   * Whether the neighbour reads `region` in place: asks it once (a SHARED_PROBE) and resolves with
   * its answer; rejects if the lane fails or `signal` aborts first.
   */
  shared(region: SharedRegion, signal: AbortSignal): Promise<boolean> {
    let asked = this.sharedAnswers.get(region.id);
    if (asked === undefined) {
      asked = new Promise<boolean>((resolve, reject) => this.probeWaiters.set(region.id, { resolve, reject }));
      asked.catch(() => undefined);
      this.sharedAnswers.set(region.id, asked);
      const payload = encodeProbe(region);
      this.write(encodeBareHeader(FrameKind.SharedProbe, payload.length), payload, false, NEVER_ABORTED).catch(() => undefined); // a failure fails the lane
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    return raceAbort(asked, signal);
  }

  /** Sends a chunk header whose payload is a reference; the chunk stays unreleased until the neighbour says so. */
  writeShared(head: Buffer, reference: Buffer, step: number, bucketId: number, signal: AbortSignal): Promise<void> {
    const key = `${step}/${bucketId}`;
    let entry = this.unreleased.get(key);
    if (entry === undefined) this.unreleased.set(key, (entry = { count: 0, waiters: [] }));
    entry.count++;
    return this.write(head, reference, false, signal);
  }

  /** Resolves once the neighbour released every chunk of (step, bucketId) sent by reference. */
  released(step: number, bucketId: number, signal: AbortSignal): Promise<void> {
    if (this.error !== undefined) return Promise.reject(this.error);
    const entry = this.unreleased.get(`${step}/${bucketId}`);
    if (entry === undefined) return Promise.resolve();
    return raceAbort(new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject })), signal);
  }

  /** Fails every write, probe and release wait still pending on this lane. */
  private rejectWaiting(error: CommError): void {
    for (const reject of this.pendingRejects) reject(error);
    this.pendingRejects.clear();
    for (const entry of this.unreleased.values()) for (const waiter of entry.waiters) waiter.reject(error);
    this.unreleased.clear();
    for (const waiter of this.probeWaiters.values()) waiter.reject(error);
    this.probeWaiters.clear();
  }

  private statusError(code: number, message: string): CommError {
    const where = `rank ${this.options.peerRank} at ${this.options.peerAddress}`;
    if (code === StatusCode.Rejected) return new ChunkRejectedError(`${where} rejected a frame: ${message}`);
    return new PeerUnavailableError(this.options.peerRank, this.options.peerAddress, `data plane answered ${code}: ${message}`);
  }

  get failure(): CommError | undefined {
    return this.error;
  }

  private fail(error: CommError): void {
    if (this.error !== undefined) return;
    this.error = error;
    this.socket.destroy();
    this.rejectWaiting(error);
    this.options.onFailure(error);
  }

  /**
   * Writes a header and its payload. With `isBorrowed` (payload is the caller's memory) an abort
   * while the payload is still queued destroys the lane: the caller may reuse that memory, and a
   * neighbour must never receive values changed after the collective gave up.
   */
  write(head: Buffer, payload: Buffer | undefined, isBorrowed: boolean, signal: AbortSignal): Promise<void> {
    if (this.error !== undefined) return Promise.reject(this.error);
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        this.pendingRejects.delete(settle);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined || error === null) resolve();
        else reject(this.error ?? error);
      };
      const onAbort = (): void => {
        if (isBorrowed) this.fail(signal.reason instanceof CommError ? signal.reason : new CommError('TRANSPORT_CLOSED', 'send aborted'));
        settle(signal.reason);
      };
      // A write that fails (EPIPE, ECONNRESET: the neighbour died) breaks the lane with the peer named,
      // before the 'error' event would, so no caller ever sees the bare socket error.
      const onWritten = (error?: Error | null): void => {
        if (error) {
          this.fail(new PeerUnavailableError(this.options.peerRank, this.options.peerAddress, `data-plane write failed (${error.message})`, { cause: error }));
        }
        settle(error);
      };
      this.pendingRejects.add(settle);
      signal.addEventListener('abort', onAbort, { once: true });
      // Computed now, in write order (frames are numbered by it), from the payload as it is now.
      const mac = this.macs.next(head, payload);
      this.socket.cork();
      this.socket.write(head);
      if (payload !== undefined && payload.length > 0) this.socket.write(payload);
      this.socket.write(mac, onWritten);
      this.socket.uncork();
    });
  }

  /** Says goodbye (so the neighbour knows this was no crash) and closes. */
  async close(): Promise<void> {
    if (this.error !== undefined) return;
    this.error = new CommError('TRANSPORT_CLOSED', 'data-plane lane closed');
    this.rejectWaiting(this.error);
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('data');
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1000);
      this.socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      const goodbye = encodeBareHeader(FrameKind.Goodbye, 0);
      this.socket.end(Buffer.concat([goodbye, this.macs.next(goodbye, undefined)]));
      this.socket.resume();
    });
  }
}
