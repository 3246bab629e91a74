import * as grpc from '@grpc/grpc-js';

// What both ends of the Collective service agree on: message limits, the flow-control window, the
// raw-bytes codec (frames are encoded by wire-codec.ts, not by grpc-js) and how a server stops.

/** Frames carry chunks of 256 KiB to 1 MiB (default); the limit adds room for the frame header. */
export const MIN_CHUNK_BYTES = 256 * 1024;
export const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
const FRAME_HEADER_SLACK_BYTES = 4096;
/** 16 MiB: enough in flight to keep a 10 Gb/s link busy at ~10 ms of event-loop jitter. */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/** The (de)serializer of frames: wire-codec.ts wrote the payload once, aligned; the mailbox decodes it. */
export const identity = (bytes: Buffer): Buffer => bytes;

/** Server and channel options for chunks of up to `maxChunkBytes`. */
export function channelOptions(maxChunkBytes: number): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': maxChunkBytes + FRAME_HEADER_SLACK_BYTES,
    'grpc.max_send_message_length': maxChunkBytes + FRAME_HEADER_SLACK_BYTES,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  };
}

/** Lets in-flight calls finish for up to a second, then cuts them. */
export async function shutdown(server: grpc.Server): Promise<void> {
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
