// A fake Hugging Face hub for tests (not exported from index.ts): the four endpoints
// @huggingface/hub's modelInfo, listFiles and downloadFile call, on 127.0.0.1:0.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeRepo {
  /** The commit `main` resolves to (40 hex digits). */
  sha: string;
  files: Map<string, Uint8Array>;
  /** Listed in the tree but answered 404 on download (a file deleted under the listing). */
  unavailable?: Set<string>;
}

export interface FakeHubRequest {
  method: string;
  path: string;
  authorization?: string;
}

export interface FakeHub {
  readonly endpoint: string;
  readonly repos: Map<string, FakeRepo>;
  readonly requests: FakeHubRequest[];
  /** When set, every request must carry `Authorization: Bearer <token>`; others get 401. */
  requiredToken?: string;
  close(): Promise<void>;
}

/** The files of a local directory as a fake repo. */
export async function repoFromDirectory(dir: string, sha = 'a'.repeat(40)): Promise<FakeRepo> {
  const files = new Map<string, Uint8Array>();
  for (const name of (await readdir(dir)).sort()) files.set(name, await readFile(join(dir, name)));
  return { sha, files };
}

export async function startFakeHub(repos: Record<string, FakeRepo> = {}): Promise<FakeHub> {
  const hub: FakeHub = {
    endpoint: '',
    repos: new Map(Object.entries(repos)),
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive; do not wait for them
      }),
  };
  const server = createServer((request, response) => handle(hub, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (hub as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

function handle(hub: FakeHub, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://fake');
  const authorization = request.headers.authorization;
  hub.requests.push({ method: request.method ?? 'GET', path: url.pathname, ...(authorization === undefined ? {} : { authorization }) });
  if (hub.requiredToken !== undefined && authorization !== `Bearer ${hub.requiredToken}`) {
    return json(response, 401, { error: 'Invalid credentials in Authorization header' });
  }
  let match = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(url.pathname);
  if (match) {
    const repo = hub.repos.get(decodeURIComponent(match[1]!));
    if (repo === undefined) return json(response, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    return json(response, 200, { _id: 'fake', id: match[1], sha: repo.sha, private: false });
  }
  match = /^\/api\/models\/(.+)\/tree\/([^/]+)$/.exec(url.pathname);
  if (match) {
    const repo = hub.repos.get(decodeURIComponent(match[1]!));
    if (repo === undefined) return json(response, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    return json(response, 200, [...repo.files].map(([path, data]) => treeEntry(path, data)));
  }
  match = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
  if (match) {
    const repo = hub.repos.get(decodeURIComponent(match[1]!));
    const path = decodeURIComponent(match[3]!);
    const data = repo?.files.get(path);
    if (repo === undefined || data === undefined || repo.unavailable?.has(path)) {
      return json(response, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    }
    const etag = `"${etagOf(path, data)}"`;
    if (request.headers.range === 'bytes=0-0') {
      response.writeHead(206, { 'Content-Range': `bytes 0-0/${data.byteLength}`, ETag: etag, 'Content-Length': 1 });
      return void response.end(data.subarray(0, 1));
    }
    response.writeHead(200, { ETag: etag, 'Content-Length': data.byteLength, 'Content-Type': 'application/octet-stream' });
    return void response.end(data);
  }
  json(response, 404, { error: `fake hub: no route for ${url.pathname}` });
}

/** Git's blob id for small files; an LFS sha256 for weights, as the hub lists them. */
export function etagOf(path: string, data: Uint8Array): string {
  if (isLfs(path)) return createHash('sha256').update(data).digest('hex');
  return createHash('sha1').update(`blob ${data.byteLength}\0`).update(data).digest('hex');
}

function isLfs(path: string): boolean {
  return /\.(safetensors|bin|h5|msgpack)$/.test(path);
}

function treeEntry(path: string, data: Uint8Array): Record<string, unknown> {
  const oid = createHash('sha1').update(`blob ${data.byteLength}\0`).update(data).digest('hex');
  if (!isLfs(path)) return { type: 'file', oid, size: data.byteLength, path };
  return { type: 'file', oid, size: 134, path, lfs: { oid: etagOf(path, data), size: data.byteLength, pointerSize: 134 } };
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
