// Test support: a fake cluster a coordinator reaches through its real in-cluster configuration. A
// service-account directory (token, ca.crt, namespace) and a FakeApiServer over HTTPS with a
// certificate for 127.0.0.1, plus the pod LIST and WATCH the coordinator's pod watch starts with.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeApiServer, FakeWatchStream } from './fake-api-server.ts';
import type { InClusterEnvironment } from './in-cluster-config.ts';

export interface FakeCluster {
  readonly api: FakeApiServer;
  /** The pod watch's stream: send ADDED/MODIFIED/DELETED worker pods to it. */
  readonly podWatch: FakeWatchStream;
  /** What the CLI would read from a pod's environment, pointing at `api`. */
  readonly inCluster: InClusterEnvironment;
  /** The service account's token, as every request must carry it. */
  readonly token: string;
  readonly namespace: string;
}

/** Starts the fake API server in `dir` (needs the openssl command, as the TLS tests do). */
export async function startFakeCluster(dir: string, namespace = 'tunefleet'): Promise<FakeCluster> {
  const sa = join(dir, 'serviceaccount');
  mkdirSync(sa, { recursive: true });
  const keyFile = join(dir, 'fake-apiserver.key');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=fake-apiserver',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', join(sa, 'ca.crt')],
    { stdio: 'ignore' },
  );
  const token = 'service-account-token-from-file';
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'namespace'), `${namespace}\n`);
  const api = await FakeApiServer.start({ tls: { cert: readFileSync(join(sa, 'ca.crt'), 'utf8'), key: readFileSync(keyFile, 'utf8') } });
  const podWatch = new FakeWatchStream();
  api.route(`GET /api/v1/namespaces/${namespace}/pods`, { status: 200, body: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '100' }, items: [] } });
  api.route(`WATCH /api/v1/namespaces/${namespace}/pods`, { watch: podWatch });
  return { api, podWatch, inCluster: { serviceHost: '127.0.0.1', servicePort: String(api.port), serviceAccountDir: sa }, token, namespace };
}

/** Scripts the answers of a first scale of `statefulSet`: it does not exist, the pool template, created. */
export function scriptFirstScale(cluster: FakeCluster, statefulSet: string, template: unknown): void {
  const base = `/apis/apps/v1/namespaces/${cluster.namespace}/statefulsets`;
  cluster.api.route(`GET ${base}/${statefulSet}/scale`, { status: 404, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `statefulsets.apps "${statefulSet}" not found` } });
  cluster.api.route(`GET ${base}/tunefleet-worker`, { status: 200, body: template });
  cluster.api.route(`POST ${base}`, { status: 201, body: {} });
}
