import type { EventEmitter } from 'node:events';
import type { ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * grpc-js gives a server no flow-control option, so every incoming stream starts with HTTP/2's
 * 65 535-byte window and a client streaming megabytes stalls on WINDOW_UPDATE round trips
 * (measured: ~2x slower). This raises the per-stream and connection windows of every session the
 * server accepts. It reaches into grpc-js's private `http2Servers` map (pinned @grpc/grpc-js
 * 1.14.3): returns false, leaving the defaults, if that is gone; grpc-transport.spec.ts checks it.
 */
export function raiseServerFlowControlWindow(server: Server, windowBytes: number): boolean {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map)) return false;
  let tuned = 0;
  for (const http2Server of http2Servers.keys() as IterableIterator<EventEmitter>) {
    if (typeof http2Server?.on !== 'function') continue;
    http2Server.on('session', (session: ServerHttp2Session) => {
      try {
        session.settings({ initialWindowSize: windowBytes });
        session.setLocalWindowSize(windowBytes);
      } catch {
        // A session torn down before its settings went out: nothing to tune.
      }
    });
    tuned++;
  }
  return tuned > 0;
}
