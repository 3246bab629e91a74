import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesError } from './kubernetes-error.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What a pod knows about its cluster; the app reads it from its environment and passes it in. */
export interface InClusterEnvironment {
  /** $KUBERNETES_SERVICE_HOST */
  readonly serviceHost: string | undefined;
  /** $KUBERNETES_SERVICE_PORT */
  readonly servicePort: string | undefined;
  /** Where the kubelet mounts the pod's service account (token, ca.crt, namespace). */
  readonly serviceAccountDir?: string;
}

export interface InClusterConfig {
  readonly kubeConfig: KubeConfig;
  /** The pod's own namespace: the workers live beside the coordinator. */
  readonly namespace: string;
}

/**
 * The coordinator's in-cluster configuration (its service account, as client-node's loadFromCluster
 * builds it, the token re-read from its file so rotation works), or KUBERNETES_MODE_REQUIRED when the
 * process is not in a pod: `tunefleet scale` then says that it needs the Kubernetes mode.
 */
export function inClusterConfig(environment: InClusterEnvironment): InClusterConfig {
  const dir = environment.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const tokenFile = join(dir, 'token');
  const { serviceHost, servicePort } = environment;
  if (!serviceHost || !servicePort || !existsSync(tokenFile)) {
    const missing = [!serviceHost && 'KUBERNETES_SERVICE_HOST', !servicePort && 'KUBERNETES_SERVICE_PORT', !existsSync(tokenFile) && tokenFile].filter(Boolean);
    throw new KubernetesError(
      'KUBERNETES_MODE_REQUIRED',
      `scaling workers needs the Kubernetes mode: this coordinator does not run in a Kubernetes pod (missing ${missing.join(', ')}). Deploy it with deploy/k8s (deploy/README.md), or start a local cluster with \`tunefleet train --workers N\`.`,
    );
  }
  const host = serviceHost.includes(':') ? `[${serviceHost}]` : serviceHost;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'in-cluster', server: `https://${host}:${servicePort}`, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster' }],
    currentContext: 'in-cluster',
  });
  const namespaceFile = join(dir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : 'default';
  return { kubeConfig, namespace };
}
