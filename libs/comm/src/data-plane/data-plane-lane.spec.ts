import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { challenge, encodeBareHeader, encodeStatus, FrameKind, StatusCode } from './data-plane-frame.ts';
import { DataPlaneLane } from './data-plane-lane.ts';
import { PeerUnavailableError } from '../comm-error.ts';

const TOKEN = 'lane-token-0123456789abcdef';
let servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

/** A right neighbour that accepts the HELLO (without checking it) and then dies: RST on the next write. */
async function neighbourThatDies(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.write(challenge(randomBytes(32)));
    socket.once('data', () => {
      socket.write(encodeStatus(StatusCode.Ok));
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('DataPlaneLane', () => {
  it('a write to a neighbour that died fails with PEER_UNAVAILABLE naming it, never a bare EPIPE/ECONNRESET', async () => {
    const port = await neighbourThatDies();
    const failures: Error[] = [];
    const lane = await DataPlaneLane.open({
      host: '127.0.0.1',
      port,
      sendKey: Buffer.from(TOKEN),
      hello: { jobId: 'job-lane', rank: 0, lane: 0 },
      peerRank: 1,
      peerAddress: `127.0.0.1:${port}`,
      connectTimeoutMs: 2_000,
      onFailure: (error) => failures.push(error),
    });
    expect(lane).toBeInstanceOf(DataPlaneLane);
    const open = lane as DataPlaneLane;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the neighbour is gone
    const payload = Buffer.alloc(4 << 20);
    let error: unknown;
    try {
      for (let i = 0; i < 20 && error === undefined; i++) await open.write(encodeBareHeader(FrameKind.Encoded, payload.length), payload, false, new AbortController().signal);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PeerUnavailableError);
    expect(error).toMatchObject({ code: 'PEER_UNAVAILABLE', message: expect.stringMatching(/rank 1 at 127\.0\.0\.1:\d+/i) });
    expect(failures[0]).toBeInstanceOf(PeerUnavailableError);
  });
});
