import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { FakeApiServer, statusBody, type RecordedRequest } from './fake-api-server.ts';
import { JOB_LABEL } from './job-statefulset.ts';
import { SCALER_RBAC_RULES } from './scaler-rbac.ts';
import { KubernetesError } from './kubernetes-error.ts';
import { templateFromStatefulSet, WorkerScaler } from './worker-scaler.ts';

const NS = 'tunefleet';
const JOB = 'sst2-0a1b2c3d';
const SET = `tunefleet-worker-${JOB}`;
const SCALE = `/apis/apps/v1/namespaces/${NS}/statefulsets/${SET}/scale`;
const SETS = `/apis/apps/v1/namespaces/${NS}/statefulsets`;
const POOL = `${SETS}/tunefleet-worker`;
const FAST = { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 };

function scaleBody(replicas: number, resourceVersion: string) {
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: SET, namespace: NS, resourceVersion }, spec: { replicas }, status: { replicas } };
}

const POOL_SET = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'tunefleet-worker', namespace: NS, uid: 'u-1', resourceVersion: '40', labels: { 'app.kubernetes.io/name': 'tunefleet', 'app.kubernetes.io/component': 'worker' } },
  spec: {
    replicas: 2,
    serviceName: 'tunefleet-workers',
    podManagementPolicy: 'Parallel',
    selector: { matchLabels: { 'app.kubernetes.io/name': 'tunefleet', 'app.kubernetes.io/component': 'worker' } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'tunefleet', 'app.kubernetes.io/component': 'worker' } },
      spec: { containers: [{ name: 'worker', image: 'tunefleet:0.1.0-cpu', args: ['worker'] }] },
    },
  },
  status: { replicas: 2, readyReplicas: 2 },
};

/** The RBAC verb and resource one request needs, as the API server's authorizer derives them. */
function rbacOf(request: RecordedRequest): { apiGroup: string; resource: string; verb: string } {
  const match = /^\/apis\/apps\/v1\/namespaces\/[^/]+\/statefulsets(?:\/([^/]+)(\/scale)?)?$/.exec(request.pathname);
  if (match === null) throw new Error(`unexpected path ${request.pathname}`);
  const resource = match[2] ? 'statefulsets/scale' : 'statefulsets';
  const verb = { GET: match[1] ? 'get' : 'list', POST: 'create', PATCH: 'patch', PUT: 'update', DELETE: 'delete' }[request.method]!;
  return { apiGroup: 'apps', resource, verb };
}

function expectAllowedByRole(requests: readonly RecordedRequest[]): void {
  for (const request of requests) {
    const { apiGroup, resource, verb } = rbacOf(request);
    const allowed = SCALER_RBAC_RULES.some((rule) => rule.apiGroups.includes(apiGroup) && rule.resources.includes(resource) && rule.verbs.includes(verb));
    expect(allowed, `${request.method} ${request.path} needs ${verb} ${resource}`).toBe(true);
  }
}

const summary = (requests: readonly RecordedRequest[]) => requests.map((r) => `${r.method} ${r.path}`);

describe('WorkerScaler against a fake API server (real HTTP, real client)', () => {
  let api: FakeApiServer;
  let scaler: WorkerScaler;
  beforeEach(async () => {
    api = await FakeApiServer.start();
    const kubeConfig = api.kubeConfig();
    scaler = new WorkerScaler({ kubeConfig, namespace: NS, template: templateFromStatefulSet(kubeConfig, NS, 'tunefleet-worker', FAST), retry: FAST, maxConflicts: 2 });
  });
  afterEach(async () => {
    expectAllowedByRole(api.requests);
    await api.close();
  });

  it('refuses a count outside [min, max], naming both numbers, without calling the API', async () => {
    const error = await scaler.scale({ jobId: JOB, workers: 9, minWorkers: 2, maxWorkers: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesError);
    expect(errorCode(error)).toBe('SCALE_OUT_OF_RANGE');
    expect((error as Error).message).toBe(
      `job ${JOB}: cannot scale to 9 workers: outside [2, 4] (the job's min_workers 2 and max_workers 4); pick a count in that range.`,
    );
    await expect(scaler.scale({ jobId: JOB, workers: 1, minWorkers: 2, maxWorkers: 4 })).rejects.toThrow(/cannot scale to 1 workers: outside \[2, 4\]/);
    await expect(scaler.scale({ jobId: JOB, workers: 2.5, minWorkers: 2, maxWorkers: 4 })).rejects.toThrow(/cannot scale to 2.5 workers/);
    await expect(scaler.scale({ jobId: JOB, workers: 3, minWorkers: 4, maxWorkers: 2 })).rejects.toThrow(/invalid worker range \[min_workers 4, max_workers 2\]/);
    expect(api.requests).toEqual([]);
  });

  it('reads the scale subresource, then merge-patches replicas conditioned on its resourceVersion', async () => {
    api.route(`GET ${SCALE}`, { status: 200, body: scaleBody(2, '17') });
    api.route(`PATCH ${SCALE}`, { status: 200, body: scaleBody(3, '18') });
    const result = await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 });
    expect(result).toEqual({ statefulSet: SET, previousReplicas: 2, replicas: 3, created: false });
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`, `PATCH ${SCALE}`]);
    const patch = api.requests[1]!;
    expect(patch.contentType).toBe('application/merge-patch+json');
    expect(patch.body).toEqual({ metadata: { resourceVersion: '17' }, spec: { replicas: 3 } });
    expect(api.requests.every((r) => r.authorization === 'Bearer fake-service-account-token')).toBe(true);
  });

  it('writes nothing when the StatefulSet already has that many replicas', async () => {
    api.route(`GET ${SCALE}`, { status: 200, body: scaleBody(3, '17') });
    const result = await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 });
    expect(result).toEqual({ statefulSet: SET, previousReplicas: 3, replicas: 3, created: false });
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`]);
  });

  it('on 409 Conflict re-reads the scale and retries with the new resourceVersion', async () => {
    api.route(`GET ${SCALE}`, { status: 200, body: scaleBody(2, '17') }, { status: 200, body: scaleBody(4, '19') });
    api.route(`PATCH ${SCALE}`, { status: 409, body: statusBody(409, 'Conflict', 'the object has been modified') }, { status: 200, body: scaleBody(3, '20') });
    const result = await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 });
    expect(result).toEqual({ statefulSet: SET, previousReplicas: 4, replicas: 3, created: false });
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`, `PATCH ${SCALE}`, `GET ${SCALE}`, `PATCH ${SCALE}`]);
    expect(api.requests[1]!.body).toEqual({ metadata: { resourceVersion: '17' }, spec: { replicas: 3 } });
    expect(api.requests[3]!.body).toEqual({ metadata: { resourceVersion: '19' }, spec: { replicas: 3 } });
  });

  it('gives up with SCALE_CONFLICT after maxConflicts + 1 rounds of 409', async () => {
    api.route(`GET ${SCALE}`, { status: 200, body: scaleBody(2, '17') });
    api.route(`PATCH ${SCALE}`, { status: 409, body: statusBody(409, 'Conflict', 'the object has been modified') });
    const error = (await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 }).catch((e: unknown) => e)) as KubernetesError;
    expect(error.code).toBe('SCALE_CONFLICT');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/changed under every one of 3 attempts to set 3 replicas \(HTTP 409 each time\)/);
    expect(summary(api.requests)).toEqual(Array.from({ length: 3 }, () => [`GET ${SCALE}`, `PATCH ${SCALE}`]).flat());
  });

  it('on 404 creates the job\'s StatefulSet from the pool template, with the job label and the replicas', async () => {
    api.route(`GET ${SCALE}`, { status: 404, body: statusBody(404, 'NotFound', `statefulsets.apps "${SET}" not found`) });
    api.route(`GET ${POOL}`, { status: 200, body: POOL_SET });
    api.route(`POST ${SETS}`, { status: 201, body: {} });
    const result = await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 });
    expect(result).toEqual({ statefulSet: SET, previousReplicas: 0, replicas: 3, created: true });
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`, `GET ${POOL}`, `POST ${SETS}`]);
    const create = api.requests[2]!;
    expect(create.contentType).toBe('application/json');
    const labels = { 'app.kubernetes.io/name': 'tunefleet', 'app.kubernetes.io/component': 'worker', [JOB_LABEL]: JOB };
    expect(create.body).toEqual({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: SET, namespace: NS, labels },
      spec: { ...POOL_SET.spec, replicas: 3, selector: { matchLabels: labels }, template: { ...POOL_SET.spec.template, metadata: { labels } } },
    });
  });

  it('when the create answers 409 (created meanwhile), re-reads and patches', async () => {
    api.route(`GET ${SCALE}`, { status: 404, body: statusBody(404, 'NotFound', 'not found') }, { status: 200, body: scaleBody(2, '5') });
    api.route(`GET ${POOL}`, { status: 200, body: POOL_SET });
    api.route(`POST ${SETS}`, { status: 409, body: statusBody(409, 'AlreadyExists', `statefulsets.apps "${SET}" already exists`) });
    api.route(`PATCH ${SCALE}`, { status: 200, body: scaleBody(3, '6') });
    const result = await scaler.scale({ jobId: JOB, workers: 3, minWorkers: 1, maxWorkers: 4 });
    expect(result).toEqual({ statefulSet: SET, previousReplicas: 2, replicas: 3, created: false });
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`, `GET ${POOL}`, `POST ${SETS}`, `GET ${SCALE}`, `PATCH ${SCALE}`]);
    expect(api.requests[4]!.body).toEqual({ metadata: { resourceVersion: '5' }, spec: { replicas: 3 } });
  });

  it('retries 5xx answers with backoff, then goes on', async () => {
    api.route(`GET ${SCALE}`, { status: 503, body: statusBody(503, 'ServiceUnavailable', 'etcd leader changed') }, { status: 500, body: statusBody(500, 'InternalError', 'boom') }, { status: 200, body: scaleBody(1, '3') });
    api.route(`PATCH ${SCALE}`, { status: 502, body: statusBody(502, 'BadGateway', 'proxy') }, { status: 200, body: scaleBody(2, '4') });
    const result = await scaler.scale({ jobId: JOB, workers: 2, minWorkers: 1, maxWorkers: 4 });
    expect(result.replicas).toBe(2);
    expect(summary(api.requests)).toEqual([`GET ${SCALE}`, `GET ${SCALE}`, `GET ${SCALE}`, `PATCH ${SCALE}`, `PATCH ${SCALE}`]);
  });

  it('stops after the bounded retries with a retryable KUBERNETES_UNAVAILABLE naming the request', async () => {
    api.route(`GET ${SCALE}`, { status: 503, body: statusBody(503, 'ServiceUnavailable', 'etcd leader changed') });
    const error = (await scaler.scale({ jobId: JOB, workers: 2, minWorkers: 1, maxWorkers: 4 }).catch((e: unknown) => e)) as KubernetesError;
    expect(error.code).toBe('KUBERNETES_UNAVAILABLE');
    expect(error.isRetryable).toBe(true);
    expect(error.httpStatus).toBe(503);
    expect(error.message).toBe(`GET ${SCALE}: the Kubernetes API server failed 3 times (last: HTTP 503: etcd leader changed); check the API server, then retry.`);
    expect(api.requests).toHaveLength(FAST.attempts);
  });

  it('treats an unreachable API server like a 5xx: bounded retries, then KUBERNETES_UNAVAILABLE', async () => {
    const gone = await FakeApiServer.start();
    const kubeConfig = gone.kubeConfig();
    await gone.close();
    const offline = new WorkerScaler({ kubeConfig, namespace: NS, template: templateFromStatefulSet(kubeConfig, NS, 'tunefleet-worker', FAST), retry: FAST });
    const error = (await offline.scale({ jobId: JOB, workers: 2, minWorkers: 1, maxWorkers: 4 }).catch((e: unknown) => e)) as KubernetesError;
    expect(error.code).toBe('KUBERNETES_UNAVAILABLE');
    expect(error.httpStatus).toBeUndefined();
    expect(error.message).toMatch(/^GET \/apis\/apps\/v1\/namespaces\/tunefleet\/statefulsets\/.*\/scale: the Kubernetes API server failed 3 times \(last: no answer: .*ECONNREFUSED/);
  });

  it('does not retry a refusal: 403 is fatal and points at the Role', async () => {
    api.route(`GET ${SCALE}`, { status: 403, body: statusBody(403, 'Forbidden', 'statefulsets.apps "x" is forbidden') });
    const error = (await scaler.scale({ jobId: JOB, workers: 2, minWorkers: 1, maxWorkers: 4 }).catch((e: unknown) => e)) as KubernetesError;
    expect(error.code).toBe('KUBERNETES_REQUEST_REFUSED');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/^GET \/apis\/apps\/v1\/.*\/scale: refused with HTTP 403: statefulsets.apps "x" is forbidden\. The coordinator's Role \(deploy\/k8s\/base\/rbac.yaml\) must grant it\.$/);
    expect(api.requests).toHaveLength(1);
  });
});
