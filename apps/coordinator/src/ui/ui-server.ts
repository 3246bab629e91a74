import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderJobsFragment, renderLivePage, renderLoginPage, type JobView } from '@tunefleet/report';
import { CoordinatorError } from '../coordinator-error.ts';
import { SESSION_COOKIE, UiAuth, type AuthVerdict } from './ui-auth.ts';

/** What the live page shows: the jobs now, and a signal when any of them changed. */
export interface UiSource {
  jobs(): readonly JobView[];
  /** Calls `onChange` after every change; returns the unsubscribe. */
  subscribe(onChange: () => void): () => void;
}

export interface UiServerOptions {
  /** 127.0.0.1 unless told otherwise: the page shows a cluster's jobs to whoever reaches it. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The cluster's token (the RPCs' one); a single-process run makes its own. */
  readonly token: string;
  readonly source: UiSource;
  readonly title?: string;
  readonly log?: (line: string) => void;
}

export interface RunningUiServer {
  readonly port: number;
  /** `http://host:port/` */
  readonly url: string;
  /** The URL to open once: its code is exchanged for a session cookie. */
  readonly startUrl: string;
  stop(): Promise<void>;
}

// Changes arrive at every report; the page redraws at most this often.
const PUSH_INTERVAL_MS = 250;
// A comment line this often keeps proxies and the browser from closing an idle stream.
const KEEPALIVE_MS = 15_000;
const MAX_FORM_BYTES = 4096;

/**
 * The live page's HTTP server: `/` the page, `/events` server-sent events carrying the re-rendered
 * jobs, `/api/jobs` the same as JSON, `POST /login` the token form. Without a valid session or
 * token every path answers 401 (the page's is the token form) and the refusal is logged.
 */
export async function startUiServer(options: UiServerOptions): Promise<RunningUiServer> {
  const log = options.log ?? (() => {});
  const title = options.title ?? 'tunefleet';
  const auth = new UiAuth(options.token);
  const streams = new Set<ServerResponse>();
  let pushTimer: NodeJS.Timeout | undefined;

  const push = (): void => {
    pushTimer = undefined;
    const data = JSON.stringify({ html: renderJobsFragment(options.source.jobs()) });
    for (const stream of streams) stream.write(`data: ${data}\n\n`);
  };
  const unsubscribe = options.source.subscribe(() => {
    if (streams.size > 0) pushTimer ??= setTimeout(push, PUSH_INTERVAL_MS);
  });
  const keepalive = setInterval(() => {
    for (const stream of streams) stream.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();

  const refuse = (request: IncomingMessage, response: ServerResponse, verdict: AuthVerdict, path: string): void => {
    log(`live page: refused ${request.method} ${path} from ${request.socket.remoteAddress}: ${verdict} token`);
    const message = verdict === 'wrong' ? 'That token is not valid here.' : '';
    // The generic title: the page's own may name the run.
    if (path === '/') send(response, 401, 'text/html; charset=utf-8', renderLoginPage('tunefleet', message));
    else send(response, 401, 'text/plain; charset=utf-8', 'missing or invalid token\n');
  };

  const signIn = (response: ServerResponse, session: string, to: string): void => {
    response.writeHead(303, { location: to, 'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' });
    response.end();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (request.method === 'POST' && path === '/login') {
      const token = new URLSearchParams(await readBody(request)).get('token');
      const { verdict, session } = auth.exchange(token);
      return session === undefined ? refuse(request, response, verdict, '/') : signIn(response, session, './');
    }
    if (request.method !== 'GET') return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (url.searchParams.has('token')) {
      // The token leaves the address bar at once: exchanged for a cookie, then a redirect without it.
      const { verdict, session } = auth.exchange(url.searchParams.get('token'));
      return session === undefined ? refuse(request, response, verdict, path) : signIn(response, session, path);
    }
    const verdict = auth.check(request);
    if (verdict !== 'ok') return refuse(request, response, verdict, path);
    if (path === '/') return send(response, 200, 'text/html; charset=utf-8', renderLivePage(options.source.jobs(), title));
    if (path === '/api/jobs') return send(response, 200, 'application/json', JSON.stringify({ jobs: options.source.jobs() }));
    if (path === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(`data: ${JSON.stringify({ html: renderJobsFragment(options.source.jobs()) })}\n\n`);
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log(`live page: ${request.method} ${request.url}: ${(error as Error).message}`);
      if (!response.headersSent) send(response, 400, 'text/plain; charset=utf-8', 'bad request\n');
      else response.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      unsubscribe();
      clearInterval(keepalive);
      reject(new CoordinatorError('BIND_FAILED', `live page: cannot listen on ${hostPart}:${options.port} (${error.message}); pick another --ui-port.`, { cause: error }));
    });
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostPart}:${port}/`;
  const startUrl = `${url}?token=${auth.startCode}`;
  log(`live page on ${url} (bound to ${host}); open once: ${startUrl}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      unsubscribe();
      clearInterval(keepalive);
      if (pushTimer !== undefined) clearTimeout(pushTimer);
      for (const stream of streams) stream.end();
      streams.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopping;
  };
  return { port, url, startUrl, stop };
}

// The page loads nothing from anywhere: its one script and stylesheet are inline, its data comes from here.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; base-uri 'none'";

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CONTENT_SECURITY_POLICY,
  });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) throw new Error(`form larger than ${MAX_FORM_BYTES} bytes`);
  }
  return body;
}
