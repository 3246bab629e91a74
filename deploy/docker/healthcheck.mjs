// Docker HEALTHCHECK for the tunefleet images: one grpc.health.v1.Health/Check call, the same
// check the Kubernetes gRPC probes make, so `docker ps` and the kubelet agree on what "healthy" is.
// Exit 0 when the server answers SERVING; 1 otherwise (not serving, unreachable, timed out).
// Settings (the image's own process reads the environment; nothing else does):
//   TUNEFLEET_HEALTH_PORT     port to check (default 50051, the coordinator; workers set 50052)
//   TUNEFLEET_HEALTH_SERVICE  service name to ask about (default "", the whole server)
//   TUNEFLEET_HEALTH_TIMEOUT_MS  deadline of the call (default 3000)
// The messages are encoded by hand (two small protobuf messages) so the check needs only
// @grpc/grpc-js, a production dependency, and no generated code.
import grpc from '@grpc/grpc-js';

const SERVING = 1;
const port = Number(process.env.TUNEFLEET_HEALTH_PORT ?? '50051');
const service = process.env.TUNEFLEET_HEALTH_SERVICE ?? '';
const timeoutMs = Number(process.env.TUNEFLEET_HEALTH_TIMEOUT_MS ?? '3000');

/** HealthCheckRequest { string service = 1; } */
function encodeRequest(name) {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0) return Buffer.alloc(0);
  if (bytes.length > 127) throw new Error(`service name longer than 127 bytes: ${name}`);
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

/** HealthCheckResponse { ServingStatus status = 1; } -> the status number (0 when absent). */
function decodeStatus(buffer) {
  for (let i = 0; i < buffer.length; ) {
    const tag = buffer[i++];
    if (tag === 0x08) return buffer[i];
    if ((tag & 0x07) === 2) i += 1 + buffer[i]; // a length-delimited field we do not know: skip it
    else i += 1;
  }
  return 0;
}

function check() {
  return new Promise((resolve) => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (request) => request,
      (response) => response,
      encodeRequest(service),
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        client.close();
        if (error) resolve(`127.0.0.1:${port}: ${error.message}`);
        else {
          const status = decodeStatus(response);
          resolve(status === SERVING ? undefined : `127.0.0.1:${port}: status ${status}, expected SERVING (1)`);
        }
      },
    );
  });
}

const failure = await check();
if (failure === undefined) {
  process.stdout.write('healthy\n');
  process.exit(0);
}
process.stderr.write(`unhealthy: ${failure}\n`);
process.exit(1);
