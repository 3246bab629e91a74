import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorClient, JobState, type HeartbeatResponse, type Job, type RegisterResponse } from '@tunefleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCoordinatorClient, type CoordinatorClientApi } from './client.ts';
import { CoordinatorClientError } from './coordinator-client-error.ts';
import { parseJobSpecYaml } from './job-spec.ts';
import { FakeApiServer, FakeWatchStream, statusBody } from './kubernetes/fake-api-server.ts';
import { startFakeCluster } from './kubernetes/test-support.ts';
import { startCoordinator, type RunningCoordinator } from './server.ts';

// ScaleJob end to end: a real coordinator over gRPC; in Kubernetes mode its in-cluster
// configuration (a service-account directory with token, ca.crt and namespace, and
// KUBERNETES_SERVICE_HOST/PORT) points at a fake API server over HTTPS on 127.0.0.1.

const TOKEN = 'scale-test-token-0123456789abcdef';
const NS = 'tunefleet';
const JOB_YAML =
  'name: elastic\nmodel_name_or_path: m\ntask: sequence-classification\ntrain_file: t.tsv\nworld_size: 2\nmin_workers: 1\nmax_workers: 4\ntraining_arguments:\n  output_dir: out\n';
const POOL = `/apis/apps/v1/namespaces/${NS}/statefulsets/tunefleet-worker`;
const FAST_RETRY = { attempts: 2, initialDelayMs: 20, maxDelayMs: 50 };

async function rejection(promise: Promise<unknown>): Promise<CoordinatorClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CoordinatorClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function until<T>(read: () => Promise<T>, isDone: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (isDone(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function readyPod(name: string, job?: string): unknown {
  return {
    metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/component': 'worker', ...(job ? { 'tunefleet.dev/job': job } : {}) } },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running', podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'worker', restartCount: 0 }] },
  };
}

const poolTemplate = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'tunefleet-worker', namespace: NS, resourceVersion: '11', uid: 'u1', labels: { 'app.kubernetes.io/component': 'worker' } },
  spec: {
    serviceName: 'tunefleet-workers',
    replicas: 2,
    selector: { matchLabels: { 'app.kubernetes.io/component': 'worker' } },
    template: { metadata: { labels: { 'app.kubernetes.io/component': 'worker' } }, spec: { containers: [{ name: 'worker', image: 'tunefleet' }] } },
  },
  status: { replicas: 2 },
};

describe('ScaleJob', () => {
  let dir: string;
  let logLines: string[];
  let coordinator: RunningCoordinator | undefined;
  let api: FakeApiServer | undefined;
  const clients: { close(): void }[] = [];

  const user = (): CoordinatorClientApi => {
    const client = createCoordinatorClient(coordinator!.address, TOKEN);
    clients.push(client);
    return client;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coordinator-scale-'));
    logLines = [];
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await coordinator?.stop();
    coordinator = undefined;
    await api?.close();
    api = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('outside Kubernetes answers FAILED_PRECONDITION with KUBERNETES_MODE_REQUIRED, and status shows the worker counts', async () => {
    // As `tunefleet coordinator` outside a pod: the environment has no KUBERNETES_SERVICE_HOST.
    const inCluster = { serviceHost: undefined, servicePort: undefined, serviceAccountDir: join(dir, 'no-sa') };
    coordinator = await startCoordinator({ port: 0, dbPath: join(dir, 'jobs.db'), token: TOKEN, kubernetes: { inCluster }, log: (line) => logLines.push(line) });
    const client = user();
    const job = await client.submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
    const error = await rejection(client.scaleJob(job.jobId, 2));
    expect(error.grpcCode).toBe(status.FAILED_PRECONDITION);
    expect(error.message).toContain('KUBERNETES_MODE_REQUIRED: scaling workers needs the Kubernetes mode');
    expect(error.message).toContain('missing KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT');
    // Not in a pod at all: nothing to log at start.
    expect(logLines.some((line) => line.startsWith('Kubernetes mode'))).toBe(false);
    expect(await client.getJob(job.jobId)).toMatchObject({ wantedWorkers: 2, runningWorkers: 0 });
  });

  describe('in Kubernetes mode', () => {
    let watch: FakeWatchStream;
    let token: string;

    beforeEach(async () => {
      const cluster = await startFakeCluster(dir, NS);
      api = cluster.api;
      watch = cluster.podWatch;
      token = cluster.token;
      coordinator = await startCoordinator({
        port: 0,
        dbPath: join(dir, 'jobs.db'),
        token: TOKEN,
        kubernetes: { inCluster: cluster.inCluster, retry: FAST_RETRY },
        log: (line) => logLines.push(line),
      });
      await watch.connected();
    });

    it('creates, then patches, the job\'s StatefulSet, and refuses a count outside [min_workers, max_workers] naming both', async () => {
      const client = user();
      const job = await client.submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
      const name = `tunefleet-worker-${job.jobId}`;
      const scalePath = `/apis/apps/v1/namespaces/${NS}/statefulsets/${name}/scale`;
      api!.route(`GET ${scalePath}`, { status: 404, body: statusBody(404, 'NotFound', `statefulsets.apps "${name}" not found`) }, {
        status: 200,
        body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: NS, resourceVersion: '7' }, spec: { replicas: 3 }, status: { replicas: 3 } },
      });
      api!.route(`GET ${POOL}`, { status: 200, body: poolTemplate });
      api!.route(`POST /apis/apps/v1/namespaces/${NS}/statefulsets`, { status: 201, body: {} });
      api!.route(`PATCH ${scalePath}`, { status: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name }, spec: { replicas: 2 } } });
      const before = api!.requests.length;

      const created = await client.scaleJob(job.jobId, 3);
      expect(created).toMatchObject({ statefulSet: name, previousReplicas: 0, created: true, job: { jobId: job.jobId, wantedWorkers: 3, runningWorkers: 0 } });
      const patched = await client.scaleJob(job.jobId, 2);
      expect(patched).toMatchObject({ statefulSet: name, previousReplicas: 3, created: false, job: { wantedWorkers: 2 } });

      const requests = api!.requests.slice(before);
      expect(requests.map((r) => `${r.method} ${r.pathname}`)).toEqual([
        `GET ${scalePath}`,
        `GET ${POOL}`,
        `POST /apis/apps/v1/namespaces/${NS}/statefulsets`,
        `GET ${scalePath}`,
        `PATCH ${scalePath}`,
      ]);
      // The service account's token, read from its file.
      expect(new Set(requests.map((r) => r.authorization))).toEqual(new Set([`Bearer ${token}`]));
      expect(requests[2]!.body).toMatchObject({ metadata: { name, namespace: NS }, spec: { replicas: 3, selector: { matchLabels: { 'tunefleet.dev/job': job.jobId } } } });
      expect(requests[4]!.contentType).toBe('application/merge-patch+json');
      expect(requests[4]!.body).toEqual({ metadata: { resourceVersion: '7' }, spec: { replicas: 2 } });

      const sent = api!.requests.length;
      for (const workers of [0, 5]) {
        const error = await rejection(client.scaleJob(job.jobId, workers));
        expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
        expect(error.message).toContain(`SCALE_OUT_OF_RANGE: job ${job.jobId}: cannot scale to ${workers} workers: outside [1, 4] (the job's min_workers 1 and max_workers 4)`);
      }
      expect(api!.requests.length).toBe(sent); // refused before any API call
      expect((await rejection(client.scaleJob('no-such-job', 2))).grpcCode).toBe(status.NOT_FOUND);
      expect(await client.getJob(job.jobId)).toMatchObject({ wantedWorkers: 2 });
      expect(logLines).toContain(`job ${job.jobId}: StatefulSet ${NS}/${name} scaled from 3 to 2 replicas (new workers join at the ring's next re-formation)`);
    });

    it('turns a worker pod the watch reports lost into a lost rank: the ring re-forms without it', async () => {
      const client = user();
      const job = await client.submitJob(parseJobSpecYaml(JOB_YAML, 'job.yaml'));
      const workers = new CoordinatorClient(coordinator!.address, credentials.createInsecure());
      clients.push(workers);
      const md = new Metadata();
      md.set('authorization', `Bearer ${TOKEN}`);
      const register = (workerId: string, port: number) =>
        new Promise<RegisterResponse>((resolve, reject) =>
          workers.register({ workerId, collectiveAddress: `127.0.0.1:${port}`, cpuCount: 1, memoryBytes: 0, backend: 'cpu' }, md, (e, r) => (e ? reject(e) : resolve(r))),
        );
      const heartbeat = (workerId: string) =>
        new Promise<HeartbeatResponse>((resolve, reject) => workers.heartbeat({ workerId, ringGeneration: 0 }, md, (e, r) => (e ? reject(e) : resolve(r))));
      await register('tunefleet-worker-0', 4100);
      await register('tunefleet-worker-1', 4101);
      const running = await until(() => client.getJob(job.jobId), (j: Job) => j.state === JobState.JOB_STATE_RUNNING, 'the job to run');
      expect(running).toMatchObject({ wantedWorkers: 2, runningWorkers: 2 });

      watch.send('ADDED', readyPod('tunefleet-worker-0'));
      watch.send('ADDED', readyPod('tunefleet-worker-1'));
      await until(async () => logLines, (lines) => lines.includes('worker pod tunefleet-worker-1 is ready'), 'the joins');
      watch.send('DELETED', readyPod('tunefleet-worker-0'));

      const reforming = await until(() => client.getJob(job.jobId), (j: Job) => j.state !== JobState.JOB_STATE_RUNNING, 'the ring to re-form');
      expect(reforming.state).toBe(JobState.JOB_STATE_RESTARTING);
      expect(reforming.runningWorkers).toBe(0);
      expect(reforming.statusMessage).toContain('rank 0 (worker tunefleet-worker-0 at 127.0.0.1:4100) left: its Kubernetes pod was lost (deleted)');
      expect(logLines).toContain('worker pod tunefleet-worker-0 lost (deleted)');
      // The coordinator forgot the lost worker; the other one stays and is asked to stop its old ring.
      const forgotten = await heartbeat('tunefleet-worker-0').then(
        () => status.OK,
        (error: ServiceError) => error.code,
      );
      expect(forgotten).toBe(status.NOT_FOUND);
      expect((await heartbeat('tunefleet-worker-1')).jobState).not.toBe(JobState.JOB_STATE_UNSPECIFIED);
    });
  });
});
