import { request } from 'node:http';
import type { JobView } from '@tunefleet/report';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startUiServer, type RunningUiServer, type UiSource } from './ui-server.ts';

const TOKEN = 'a-cluster-token-of-32-characters';

function job(step: number): JobView {
  return {
    jobId: 'secret-job-1', name: 'secret-job', state: 'RUNNING', errorMessage: '', globalStep: step, maxSteps: 10, epoch: 0, loss: 0.5, learningRate: 1e-3,
    samplesPerSecond: 1, etaSeconds: 10, evalMetrics: {}, logHistory: [{ loss: 0.5, learning_rate: 1e-3, step }], ranks: [],
  };
}

class FakeSource implements UiSource {
  step = 1;
  private readonly listeners = new Set<() => void>();
  jobs(): JobView[] {
    return [job(this.step)];
  }
  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }
  advance(): void {
    this.step += 1;
    for (const listener of this.listeners) listener();
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('live page server', () => {
  let server: RunningUiServer;
  let source: FakeSource;
  let lines: string[];

  beforeEach(async () => {
    source = new FakeSource();
    lines = [];
    server = await startUiServer({ port: 0, token: TOKEN, source, log: (line) => lines.push(line) });
  });
  afterEach(async () => {
    await server.stop();
  });

  it('binds 127.0.0.1 and says so', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(lines[0]).toContain('bound to 127.0.0.1');
  });

  it.each(['/', '/api/jobs', '/events'])('answers %s without a token with 401, no job data, and logs it', async (path) => {
    const reply = await get(`${server.url.slice(0, -1)}${path}`);
    expect(reply.status).toBe(401);
    expect(reply.body).not.toContain('secret-job');
    expect(lines.at(-1)).toMatch(new RegExp(`refused GET ${path} from .*: missing token`));
  });

  it('refuses a wrong token, a wrong bearer and a made-up cookie', async () => {
    expect((await get(`${server.url}?token=wrong`)).status).toBe(401);
    expect(lines.at(-1)).toContain('wrong token');
    expect((await get(`${server.url}api/jobs`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${server.url}api/jobs`, { cookie: 'tunefleet_session=made-up' })).status).toBe(401);
  });

  it('exchanges the one-time URL for a session cookie once', async () => {
    const first = await get(server.startUrl);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect(cookie).toMatch(/^tunefleet_session=/);
    expect(cookie).not.toContain(TOKEN);
    const page = await get(server.url, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-step="1"');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await get(server.startUrl)).status).toBe(401); // used up
  });

  it('signs in with the token from the form, and serves JSON to a bearer', async () => {
    const login = await get(`${server.url}login`, { 'content-type': 'application/x-www-form-urlencoded' }, 'POST', `token=${TOKEN}`);
    expect(login.status).toBe(303);
    const api = await get(`${server.url}api/jobs`, { authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse(api.body).jobs[0]).toMatchObject({ jobId: 'secret-job-1', globalStep: 1 });
  });

  it('pushes the re-rendered jobs over server-sent events when the source changes', async () => {
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}events`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.on('data', (chunk: Buffer) => {
          for (const block of chunk.toString().split('\n\n')) if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)).html);
          if (events.length === 1) source.advance();
          if (events.length === 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(events[0]).toContain('data-step="1"');
    expect(events[1]).toContain('data-step="2"');
  });
});
