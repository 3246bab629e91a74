// Test support: a small fake Kubernetes API server over real HTTP on 127.0.0.1:0, for the scaler
// and pod-watch tests (no kube-apiserver can run here). It records every request exactly as it
// arrived (verb, path with query, content type, parsed body) and answers from scripts the test sets
// per route; watches are streams the test writes events to and can drop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as sent, e.g. `/api/v1/namespaces/tunefleet/pods?labelSelector=...`. */
  readonly path: string;
  readonly pathname: string;
  readonly query: Record<string, string>;
  readonly contentType: string | undefined;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export type FakeAnswer = { readonly status: number; readonly body?: unknown } | { readonly watch: FakeWatchStream };

/** One watch response: events go out as JSON lines while the test holds it open. */
export class FakeWatchStream {
  #response: ServerResponse | undefined;
  #connected: Promise<void>;
  #resolveConnected!: () => void;

  constructor() {
    this.#connected = new Promise((resolve) => (this.#resolveConnected = resolve));
  }

  /** Resolves once the client's watch request arrived. */
  connected(): Promise<void> {
    return this.#connected;
  }

  attach(response: ServerResponse): void {
    this.#response = response;
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    this.#resolveConnected();
  }

  send(type: string, object: unknown): void {
    this.#response!.write(`${JSON.stringify({ type, object })}\n`);
  }

  /** Ends the response cleanly, as an API server does when a watch times out. */
  end(): void {
    this.#response?.end();
  }

  /** Drops the connection without ending the response, as a network fault does. */
  drop(): void {
    this.#response?.socket?.destroy();
  }
}

/** A Kubernetes `Status` body, as the API server sends with every error. */
export function statusBody(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #routes = new Map<string, FakeAnswer[]>();
  readonly #openWatches = new Set<ServerResponse>();

  readonly #scheme: 'http' | 'https';

  private constructor(server: Server, scheme: 'http' | 'https') {
    this.#server = server;
    this.#scheme = scheme;
  }

  /**
   * With `tls` (a certificate for 127.0.0.1 and its key) it serves HTTPS, as a real API server does,
   * so a coordinator can reach it through its in-cluster configuration (ca.crt, token file).
   */
  static async start(options: { readonly tls?: { readonly cert: string; readonly key: string } } = {}): Promise<FakeApiServer> {
    const server = options.tls === undefined ? createServer() : createTlsServer({ cert: options.tls.cert, key: options.tls.key });
    const fake = new FakeApiServer(server, options.tls === undefined ? 'http' : 'https');
    server.on('request', (request, response) => void fake.#handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `${this.#scheme}://127.0.0.1:${this.port}`;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /**
   * Scripts the answers to `METHOD pathname` (`GET /api/v1/namespaces/ns/pods`; a watch is keyed
   * `WATCH pathname`), taken in order; the last one keeps answering.
   */
  route(key: string, ...answers: FakeAnswer[]): void {
    this.#routes.set(key, answers);
  }

  /** The real client, pointed at this server with a bearer token. */
  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake', token: 'fake-service-account-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kubeConfig;
  }

  async close(): Promise<void> {
    for (const response of this.#openWatches) response.socket?.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({
      method: request.method ?? '',
      path: `${url.pathname}${url.search}`,
      pathname: url.pathname,
      query,
      contentType: request.headers['content-type'],
      authorization: request.headers.authorization,
      body: text === '' ? undefined : JSON.parse(text),
    });
    const key = `${query['watch'] === 'true' ? 'WATCH' : request.method} ${url.pathname}`;
    const answers = this.#routes.get(key);
    const answer = answers === undefined ? undefined : answers.length > 1 ? answers.shift() : answers[0];
    if (answer === undefined) {
      response.writeHead(418, { 'content-type': 'application/json' });
      response.end(JSON.stringify(statusBody(418, 'Unscripted', `fake API server: no answer scripted for ${key}`)));
    } else if ('watch' in answer) {
      this.#openWatches.add(response);
      response.on('close', () => this.#openWatches.delete(response));
      answer.watch.attach(response);
    } else {
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    }
  }
}
