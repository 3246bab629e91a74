import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsError } from './metrics-error.ts';
import type { TunefleetMetrics } from './tunefleet-metrics.ts';

export interface MetricsServerOptions {
  readonly metrics: TunefleetMetrics;
  /** Interface to bind; default 127.0.0.1, so metrics are never reachable from outside by accident. */
  readonly host?: string;
  /** 0 picks a free port; read it back from the result. */
  readonly port: number;
  /** Who serves, for the log line ("coordinator", "worker 1"). */
  readonly name?: string;
  readonly log?: (line: string) => void;
}

export interface RunningMetricsServer {
  readonly port: number;
  /** host:port it listens on. */
  readonly address: string;
  stop(): Promise<void>;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';

/**
 * Serves `GET /metrics` (the Prometheus text exposition) over node:http; anything else is 404, any
 * method but GET/HEAD 405. Logs the address it bound, so an operator sees where it listens.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const { metrics } = options;
  const host = options.host ?? DEFAULT_METRICS_HOST;
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new MetricsError('METRICS_OPTIONS_INVALID', `metrics port must be an integer from 0 to 65535, got ${options.port} (--metrics-port).`);
  }
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    metrics.exposition().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${(error as Error).message}\n`),
    );
  });
  await listen(server, host, options.port);
  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const address = `${hostPart}:${port}`;
  options.log?.(`${options.name ?? 'metrics'}: serving Prometheus metrics on http://${address}/metrics`);
  let stopping: Promise<void> | undefined;
  return {
    port,
    address,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive scrapers must not hold the process open
      })),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new MetricsError(
          'BIND_FAILED',
          `cannot serve metrics on ${host}:${port}: ${error.message}; is another process on that port (--metrics-port), or is ${host} not an address of this machine (--metrics-host)?`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
