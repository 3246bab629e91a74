import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeApiServer, FakeWatchStream, statusBody, type RecordedRequest } from './fake-api-server.ts';
import { WorkerPodWatch } from './pod-watch.ts';
import { SCALER_RBAC_RULES } from './scaler-rbac.ts';
import type { WorkerMembershipListener, WorkerPod } from './worker-membership.ts';

const NS = 'tunefleet';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const SELECTOR = 'app.kubernetes.io/component=worker';
const FAST = { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 };

interface PodState {
  ready?: boolean;
  phase?: string;
  restarts?: number;
  terminating?: boolean;
}

function pod(name: string, state: PodState = {}) {
  const { ready = true, phase = 'Running', restarts = 0, terminating = false } = state;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/component': 'worker', 'tunefleet.dev/job': 'sst2-0a1b2c3d' }, ...(terminating ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-a', containers: [{ name: 'worker', image: 'tunefleet' }] },
    status: {
      phase,
      podIP: '10.0.0.7',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'worker', image: 'tunefleet', imageID: '', ready, restartCount: restarts }],
    },
  };
}

function podList(resourceVersion: string, ...items: unknown[]) {
  return { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion }, items };
}

class RecordingListener implements WorkerMembershipListener {
  readonly events: string[] = [];
  readonly pods: WorkerPod[] = [];
  onJoin(pod: WorkerPod): void {
    this.events.push(`join ${pod.workerId}`);
    this.pods.push(pod);
  }
  onLoss(pod: WorkerPod, reason: string): void {
    this.events.push(`loss ${pod.workerId}: ${reason}`);
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectAllowedByRole(requests: readonly RecordedRequest[]): void {
  const podRule = SCALER_RBAC_RULES.find((rule) => rule.apiGroups.includes('') && rule.resources.includes('pods'));
  for (const request of requests) {
    expect(request.method).toBe('GET');
    expect(request.pathname).toBe(PODS);
    expect(podRule?.verbs).toContain(request.query['watch'] === 'true' ? 'watch' : 'list');
  }
}

const listRequest = `GET ${PODS}?labelSelector=${encodeURIComponent(SELECTOR)}`;
const watchQuery = (resourceVersion: string) => ({ labelSelector: SELECTOR, resourceVersion, allowWatchBookmarks: 'true', watch: 'true' });

describe('WorkerPodWatch against a fake API server (real HTTP, real client)', () => {
  let api: FakeApiServer;
  let listener: RecordingListener;
  let watch: WorkerPodWatch;
  const lines: string[] = [];
  beforeEach(async () => {
    api = await FakeApiServer.start();
    listener = new RecordingListener();
    lines.length = 0;
    watch = new WorkerPodWatch({ kubeConfig: api.kubeConfig(), namespace: NS, labelSelector: SELECTOR, listener, retry: FAST, log: (line) => lines.push(line) });
  });
  afterEach(async () => {
    watch.stop();
    expectAllowedByRole(api.requests);
    await api.close();
  });

  it('lists, then watches from the list\'s resourceVersion, and reports joins and losses', async () => {
    const stream = new FakeWatchStream();
    api.route(`GET ${PODS}`, { status: 200, body: podList('100', pod('w-0'), pod('w-1', { ready: false })) });
    api.route(`WATCH ${PODS}`, { watch: stream });
    await watch.start();
    await stream.connected();
    expect(listener.events).toEqual(['join w-0']);
    expect(listener.pods[0]).toEqual({ workerId: 'w-0', job: 'sst2-0a1b2c3d', podIp: '10.0.0.7', nodeName: 'node-a' });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)[0]).toBe(listRequest);
    expect(api.requests[1]!.query).toEqual(watchQuery('100'));

    stream.send('MODIFIED', pod('w-1'));
    stream.send('ADDED', pod('w-2', { phase: 'Pending', ready: false }));
    stream.send('MODIFIED', pod('w-0', { ready: false })); // a long step: not a loss
    stream.send('MODIFIED', pod('w-0', { restarts: 1 })); // the process died and came back
    stream.send('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '140' } });
    stream.send('MODIFIED', pod('w-1', { terminating: true }));
    stream.send('DELETED', pod('w-1', { terminating: true }));
    await until(() => listener.events.length === 5, 'five membership events');
    expect(listener.events).toEqual(['join w-0', 'join w-1', 'loss w-0: container restarted', 'join w-0', 'loss w-1: terminating']);
    expect(watch.members()).toEqual(['w-0']);
  });

  it('re-lists and re-watches when the server ends the watch, reporting what changed in between', async () => {
    const first = new FakeWatchStream();
    const second = new FakeWatchStream();
    api.route(`GET ${PODS}`, { status: 200, body: podList('100', pod('w-0'), pod('w-1')) }, { status: 200, body: podList('250', pod('w-1'), pod('w-2')) });
    api.route(`WATCH ${PODS}`, { watch: first }, { watch: second });
    await watch.start();
    await first.connected();
    first.end();
    await second.connected();
    expect(listener.events).toEqual(['join w-0', 'join w-1', 'join w-2', 'loss w-0: deleted while the watch was down']);
    expect(api.requests.map((r) => (r.query['watch'] === 'true' ? `WATCH rv=${r.query['resourceVersion']}` : 'LIST'))).toEqual(['LIST', 'WATCH rv=100', 'LIST', 'WATCH rv=250']);
    expect(lines.some((line) => /^pod watch ended \(closed by the server\); re-listing in \d+ ms$/.test(line))).toBe(true);
    second.send('DELETED', pod('w-2'));
    await until(() => listener.events.length === 5, 'the loss of w-2');
    expect(listener.events.at(-1)).toBe('loss w-2: deleted');
  });

  it('re-lists when the connection drops mid-watch', async () => {
    const first = new FakeWatchStream();
    const second = new FakeWatchStream();
    api.route(`GET ${PODS}`, { status: 200, body: podList('100', pod('w-0')) }, { status: 200, body: podList('101', pod('w-0')) });
    api.route(`WATCH ${PODS}`, { watch: first }, { watch: second });
    await watch.start();
    await first.connected();
    first.drop();
    await second.connected();
    expect(api.requests[3]!.query).toEqual(watchQuery('101'));
    expect(listener.events).toEqual(['join w-0']); // same pod, same life: no second join
  });

  it('re-lists on an ERROR event (410 Gone: the resourceVersion is too old)', async () => {
    const first = new FakeWatchStream();
    const second = new FakeWatchStream();
    api.route(`GET ${PODS}`, { status: 200, body: podList('100') }, { status: 200, body: podList('900', pod('w-3')) });
    api.route(`WATCH ${PODS}`, { watch: first }, { watch: second });
    await watch.start();
    await first.connected();
    first.send('ERROR', statusBody(410, 'Expired', 'too old resource version: 100 (850)'));
    await second.connected();
    expect(api.requests[3]!.query).toEqual(watchQuery('900'));
    expect(listener.events).toEqual(['join w-3']);
    expect(lines[0]).toMatch(/^pod watch ended \(too old resource version: 100 \(850\)\); re-listing in \d+ ms$/);
  });

  it('keeps re-listing through 5xx answers with backoff', async () => {
    const first = new FakeWatchStream();
    const second = new FakeWatchStream();
    api.route(
      `GET ${PODS}`,
      { status: 200, body: podList('100', pod('w-0')) },
      // Three tries per re-list (FAST.attempts): the first re-list fails in all of them, the next succeeds.
      { status: 500, body: statusBody(500, 'InternalError', 'etcd') },
      { status: 503, body: statusBody(503, 'ServiceUnavailable', 'etcd') },
      { status: 503, body: statusBody(503, 'ServiceUnavailable', 'etcd') },
      { status: 200, body: podList('300', pod('w-0')) },
    );
    api.route(`WATCH ${PODS}`, { watch: first }, { watch: second });
    await watch.start();
    await first.connected();
    first.end();
    await second.connected();
    const lists = api.requests.filter((r) => r.query['watch'] !== 'true');
    expect(lists).toHaveLength(5);
    expect(lines.some((line) => line.includes('the Kubernetes API server failed 3 times'))).toBe(true);
    expect(api.requests.at(-1)!.query).toEqual(watchQuery('300'));
  });

  it('sends no request and reports nothing after stop()', async () => {
    const stream = new FakeWatchStream();
    api.route(`GET ${PODS}`, { status: 200, body: podList('100', pod('w-0')) });
    api.route(`WATCH ${PODS}`, { watch: stream });
    await watch.start();
    await stream.connected();
    watch.stop();
    const seen = api.requests.length;
    stream.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests).toHaveLength(seen);
    expect(listener.events).toEqual(['join w-0']);
  });
});
