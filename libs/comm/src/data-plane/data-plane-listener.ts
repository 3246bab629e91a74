import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { PeerUnavailableError } from '../comm-error.ts';
import { FrameKind, NONCE_BYTES, StatusCode, challenge, encodeStatus } from './data-plane-frame.ts';
import { HelloRefusedError } from './data-plane-error.ts';
import { ConnectionReader, type ExpectedSender } from './data-plane-reader.ts';
import type { CommLogger, GrpcTlsOptions } from '../options.ts';
import type { Mailbox } from '../ring/mailbox.ts';
import { MappedRegions, type SharedMemory } from './shared-regions.ts';

/** A peer that connects must send its HELLO within this long. */
const HELLO_TIMEOUT_MS = 10_000;
/** Default deadline for the rest of a frame once part of it arrived (a 4 MiB chunk needs far less). */
export const DEFAULT_FRAME_READ_TIMEOUT_MS = 10_000;
/** After refusing a peer, how long its remaining bytes are discarded (unread) before the socket is destroyed. */
const LINGER_MS = 2_000;

/** What the listener needs of the ring this rank joined. */
export interface JoinedRing {
  readonly inbox: Mailbox;
  readonly expected: ExpectedSender;
}

export interface DataPlaneListenerOptions {
  readonly host: string;
  readonly tls?: GrpcTlsOptions;
  readonly maxPayloadBytes: number;
  readonly logger: CommLogger;
  /** The joined transport's inbox and left neighbour; HELLOs are checked and frames read only once the endpoint joined a ring. */
  readonly joined: () => Promise<JoinedRing>;
  /** Once part of a frame arrived, the rest must follow within this long (default DEFAULT_FRAME_READ_TIMEOUT_MS). */
  readonly frameReadTimeoutMs?: number;
  /** Maps a same-machine neighbour's shared regions (shared-regions.ts); without it every probe is refused. */
  readonly sharedMemory?: SharedMemory;
}

/**
 * Receiving side of the data plane (see data-plane-frame.ts): accepts connections from the left
 * neighbour, admits only those whose HELLO proves the key of (left neighbour -> this rank), files
 * their frames in the inbox once each frame's MAC checks, and gives every partly read frame a
 * deadline. A refused peer or frame is logged with the peer's address and the reason and answered
 * with a status; the listener keeps serving.
 */
export class DataPlaneListener {
  private readonly sockets = new Set<net.Socket>();
  private isClosed = false;
  /** Connections accepted, and how many of those the kernel reads straight into payload buffers. */
  acceptedCount = 0;
  readInPlaceCount = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: DataPlaneListenerOptions,
  ) {}

  static async listen(options: DataPlaneListenerOptions): Promise<DataPlaneListener> {
    const created: { listener?: DataPlaneListener } = {};
    const onSocket = (socket: net.Socket): void => created.listener!.accept(socket);
    const server = options.tls
      ? tls.createServer(
          {
            ca: options.tls.rootCert,
            cert: options.tls.certChain,
            key: options.tls.privateKey,
            requestCert: true,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
          },
          onSocket,
        )
      : net.createServer({ noDelay: true, pauseOnConnect: true }, onSocket);
    if (options.tls) {
      server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
        options.logger.warn('refused a data-plane connection', { peer: socket.remoteAddress, reason: `TLS handshake failed: ${error.message}` });
      });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    created.listener = new DataPlaneListener(server, (server.address() as net.AddressInfo).port, options);
    return created.listener;
  }

  private accept(accepted: net.Socket): void {
    if (this.isClosed) {
      accepted.destroy();
      return;
    }
    const peer = `${accepted.remoteAddress}:${accepted.remotePort}`;
    const nonce = randomBytes(NONCE_BYTES);
    const state = { isRefused: false, isHelloDone: false, framesReceived: 0, isGoodbye: false, inbox: undefined as Mailbox | undefined };
    const scratch = Buffer.allocUnsafe(64 * 1024);
    const mapped = new MappedRegions(this.options.sharedMemory);
    const answerProbe = (payload: Buffer): void => {
      const id = payload.length >= 4 ? payload.readUInt32LE(0) : 0;
      try {
        socket.write(encodeStatus(StatusCode.SharedAccepted, String(mapped.probe(payload))));
      } catch (error) {
        socket.write(encodeStatus(StatusCode.SharedRefused, `${id}: ${(error as Error).message}`));
      }
    };
    const reader = new ConnectionReader({
      nonce,
      maxPayloadBytes: this.options.maxPayloadBytes,
      onFrame: (header, payload, release) => {
        const inbox = state.inbox!;
        const chunk = header.chunk;
        if (header.kind === FrameKind.Goodbye) state.isGoodbye = true;
        else if (header.kind === FrameKind.Encoded) inbox.deliver(payload);
        else if (header.kind === FrameKind.SharedProbe) {
          answerProbe(payload);
          release();
        } else if (chunk!.encoding === 'shared') {
          // Read in place from the neighbour's memory; it may change it only after RELEASED.
          const view = mapped.view(payload, chunk!.elementCount * 4);
          release();
          let isReleased = false;
          const releaseShared = (): void => {
            if (isReleased) return;
            isReleased = true;
            if (!socket.destroyed) socket.write(encodeStatus(StatusCode.Released, `${chunk!.step}/${chunk!.bucketId}`));
          };
          inbox.deliverChunk({ kind: 'chunk', jobId: reader.hello!.jobId, ...chunk!, encoding: 'dense', payload: view, release: releaseShared });
        } else inbox.deliverChunk({ kind: 'chunk', jobId: reader.hello!.jobId, ...chunk!, encoding: chunk!.encoding, payload, release }); // narrowed: not 'shared'
        if (header.kind !== FrameKind.Goodbye) state.framesReceived++;
      },
    });
    let leftover: Buffer | undefined;
    const frameReadTimeoutMs = this.options.frameReadTimeoutMs ?? DEFAULT_FRAME_READ_TIMEOUT_MS;
    let frameTimer: NodeJS.Timeout | undefined;
    const refuseFor = (error: unknown): void => {
      state.isRefused = true;
      clearTimeout(timer);
      clearTimeout(frameTimer);
      if (error instanceof HelloRefusedError) {
        this.options.logger.warn('refused a data-plane connection', { peer, reason: error.message });
        this.refuse(socket, StatusCode.Unauthenticated, 'unauthenticated');
      } else {
        const message = error instanceof Error ? error.message : String(error);
        this.options.logger.warn('rejected a collective frame', { peer, reason: message });
        this.refuse(socket, StatusCode.Rejected, message);
      }
    };
    /** Every read has a deadline: a frame begun must be finished within frameReadTimeoutMs. */
    const armFrameDeadline = (): void => {
      clearTimeout(frameTimer);
      frameTimer = undefined;
      if (state.isRefused || reader.isHeld || !state.isHelloDone || reader.isIdle) return;
      const partial = reader.describePartial();
      frameTimer = setTimeout(() => {
        if (state.isRefused) return;
        const reason = `sent part of a frame (${partial}) and nothing more for ${frameReadTimeoutMs} ms`;
        state.isRefused = true;
        clearTimeout(timer);
        this.options.logger.warn('refused a data-plane connection', { peer, reason });
        this.refuse(socket, StatusCode.Rejected, reason);
        // An authenticated connection is the left neighbour's: the collective waiting on it fails now, naming it.
        state.inbox?.fail(new PeerUnavailableError(state.inbox.expect.leftRank, state.inbox.expect.leftAddress ?? peer, `its data-plane connection (from ${peer}) ${reason}`));
      }, frameReadTimeoutMs);
      frameTimer.unref();
    };
    /** Runs `step` (advancing the reader); false when reading must stop (refused, or held until joined). */
    const guarded = (step: () => void): boolean => {
      if (state.isRefused) return true;
      try {
        step();
      } catch (error) {
        refuseFor(error);
        return true;
      }
      if (reader.isHeld && !state.isHelloDone) {
        state.isHelloDone = true;
        clearTimeout(timer);
        void this.options.joined().then(
          (ring) => {
            if (state.isRefused) return;
            try {
              reader.authenticate(ring.expected);
            } catch (error) {
              refuseFor(error);
              return;
            }
            socket.write(encodeStatus(StatusCode.Ok));
            release(ring.inbox);
          },
          () => socket.destroy(),
        );
      }
      armFrameDeadline();
      return !reader.isHeld;
    };
    const release = (inbox: Mailbox): void => {
      if (this.isClosed || inbox.isFailed) {
        state.isRefused = true;
        this.refuse(socket, StatusCode.Unavailable, 'transport closed');
        return;
      }
      state.inbox = inbox;
      reader.isHeld = false;
      const rest = leftover;
      leftover = undefined;
      if (rest !== undefined) guarded(() => (leftover = reader.push(rest)));
      socket.resume();
    };
    // Plain TCP: the kernel copies payloads straight into the reader's buffers. TLS (or a Node
    // without the handle to adopt): copy once out of the socket's own buffers.
    const inPlace = this.options.tls
      ? undefined
      : adoptWithUserBuffer(
          accepted,
          () => (state.isRefused ? scratch : reader.region()),
          (count) => guarded(() => reader.advance(count)),
        );
    const socket = inPlace ?? accepted;
    if (inPlace !== undefined) this.readInPlaceCount++;
    else {
      socket.on('data', (data: Buffer) => {
        if (!guarded(() => (leftover = reader.push(data)))) socket.pause();
      });
      socket.resume();
    }
    this.acceptedCount++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // reported through 'close' below
    socket.on('close', () => {
      this.sockets.delete(socket);
      clearTimeout(timer);
      clearTimeout(frameTimer);
      // Only a connection that carried valid frames is the left neighbour's; a stranger's is just gone.
      if (state.isGoodbye || state.isRefused || this.isClosed || state.framesReceived === 0) return;
      const expect = state.inbox!.expect;
      state.inbox!.fail(new PeerUnavailableError(expect.leftRank, expect.leftAddress ?? peer, `its data-plane connection to this rank broke mid-collective (from ${peer})`));
    });
    const timer = setTimeout(() => {
      if (state.isHelloDone || state.isRefused) return;
      refuseFor(new HelloRefusedError(`no complete HELLO within ${HELLO_TIMEOUT_MS} ms (${reader.describePartial()})`));
    }, HELLO_TIMEOUT_MS);
    socket.write(challenge(nonce));
  }

  /** Answers `code`, discards (never parses) whatever else the peer sends, and closes. */
  private refuse(socket: net.Socket, code: StatusCode, message: string): void {
    socket.end(encodeStatus(code, message));
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Re-wraps an accepted, paused socket's handle in a socket that reads into `buffer()` (Node's
 * documented `onread` option, which net.Server does not offer for accepted sockets). Relies on
 * the private `_handle` (node 20); returns undefined, and the caller copies from 'data' events,
 * where that is missing. grpc/tcp-data-plane.spec.ts checks it is taken.
 */
function adoptWithUserBuffer(accepted: net.Socket, buffer: () => Uint8Array, callback: (count: number) => boolean): net.Socket | undefined {
  const internal = accepted as unknown as { _handle?: unknown };
  const handle = internal._handle;
  if (handle === undefined || handle === null) return undefined;
  internal._handle = null;
  accepted.destroy(); // releases the server's count of it; the handle lives on in the new socket
  const options = { handle, readable: true, writable: true, onread: { buffer, callback } };
  return new net.Socket(options as unknown as net.SocketConstructorOpts);
}
