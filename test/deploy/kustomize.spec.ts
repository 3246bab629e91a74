import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as models from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCALER_RBAC_RULES } from '../../apps/coordinator/src/kubernetes/scaler-rbac.ts';

// Renders deploy/k8s/overlays/{cpu,gpu} with `kubectl kustomize` (offline), validates every object
// against the Kubernetes schemas (kubernetes-models) and checks the security properties issue 11
// asks for on what would actually be applied. The tree is copied to a scratch directory with a test
// token, because the repository holds none (kustomize needs the file at render time).

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TEST_TOKEN = 'kustomize-test-token-0123456789';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

async function kubectl(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('kubectl', args, { maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: these tests render the overlays with `kubectl kustomize` (offline, no cluster needed); install kubectl >= 1.27.');
    }
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

async function render(dir: string): Promise<K8sObject[]> {
  const text = await kubectl(['kustomize', dir]);
  return parseAllDocuments(text).map((doc) => doc.toJS() as K8sObject);
}

/** kubernetes-models' class for every apiVersion/kind it knows. */
function modelClasses(): Map<string, { new (data: unknown): { validate(): void } }> {
  const classes = new Map<string, any>();
  const walk = (namespace: object, depth: number): void => {
    for (const value of Object.values(namespace)) {
      if (typeof value === 'function' && value.apiVersion && value.kind) classes.set(`${value.apiVersion}/${value.kind}`, value);
      else if (value && typeof value === 'object' && depth < 3) walk(value, depth + 1);
    }
  };
  walk(models, 0);
  return classes;
}

const workloads = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const one = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered overlay`);
  return found;
};
const containersOf = (workload: K8sObject): any[] => [...(workload.spec.template.spec.initContainers ?? []), ...workload.spec.template.spec.containers];
const matches = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
  Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);

let scratch: string;
const rendered: Record<string, K8sObject[]> = {};

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tunefleet-kustomize-'));
  await cp(join(ROOT, 'deploy/k8s'), join(scratch, 'k8s'), { recursive: true });
  await writeFile(join(scratch, 'k8s/base/token'), TEST_TOKEN);
  for (const overlay of ['cpu', 'gpu', 'kind']) rendered[overlay] = await render(join(scratch, 'k8s/overlays', overlay));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the token', () => {
  it('is never in the repository: rendering without the operator\'s file fails, naming it', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'tunefleet-kustomize-bare-'));
    try {
      await cp(join(ROOT, 'deploy/k8s'), join(bare, 'k8s'), { recursive: true, filter: (source) => !source.endsWith('/base/token') });
      await expect(render(join(bare, 'k8s/overlays/cpu'))).rejects.toThrow(/token/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
    const { stdout } = await run('git', ['ls-files', 'deploy/k8s'], { cwd: ROOT });
    expect(stdout.split('\n').filter((file) => /(^|\/)token$/.test(file))).toEqual([]);
  });

  it('reaches the pods through the generated Secret', () => {
    for (const objects of Object.values(rendered)) {
      const [secret] = byKind(objects, 'Secret');
      expect(secret!.metadata.name).toMatch(/^tunefleet-token-[a-z0-9]+$/);
      expect(Buffer.from(secret!.data.token, 'base64').toString('utf8')).toBe(TEST_TOKEN);
      for (const workload of workloads(objects)) {
        const env = workload.spec.template.spec.containers[0].env as any[];
        expect(env.find((e) => e.name === 'TUNEFLEET_TOKEN')?.valueFrom.secretKeyRef).toEqual({ name: secret!.metadata.name, key: 'token' });
      }
    }
  });
});

describe.each(['cpu', 'gpu'])('overlay %s', (overlay) => {
  const objects = (): K8sObject[] => rendered[overlay]!;

  it('validates every rendered object against the Kubernetes schemas', () => {
    const classes = modelClasses();
    expect(objects().length).toBeGreaterThan(10);
    for (const object of objects()) {
      const Model = classes.get(`${object.apiVersion}/${object.kind}`);
      expect(Model, `kubernetes-models knows ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });

  it('has every object issue 11 lists, in the tunefleet namespace', () => {
    const kinds = objects().map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    expect(kinds).toEqual([
      'Deployment/tunefleet-coordinator',
        'Namespace/tunefleet',
        'NetworkPolicy/tunefleet-coordinator-ingress',
        'NetworkPolicy/tunefleet-default-deny-ingress',
        'NetworkPolicy/tunefleet-metrics-ingress',
        'NetworkPolicy/tunefleet-worker-egress',
        'NetworkPolicy/tunefleet-worker-ingress',
        'PersistentVolumeClaim/tunefleet-coordinator-state',
        'PersistentVolumeClaim/tunefleet-shared',
        'Role/tunefleet-coordinator',
        'RoleBinding/tunefleet-coordinator',
        'Secret/tunefleet-token',
        'Service/tunefleet-coordinator',
        'Service/tunefleet-workers',
        'ServiceAccount/tunefleet-coordinator',
        'ServiceAccount/tunefleet-worker',
      'StatefulSet/tunefleet-worker',
    ]);
    for (const object of objects().filter((o) => o.kind !== 'Namespace')) expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('tunefleet');
    expect(one(objects(), 'Namespace', 'tunefleet').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('runs the coordinator as one Recreate replica with its state on a PVC, behind a Service', () => {
    const coordinator = one(objects(), 'Deployment', 'tunefleet-coordinator');
    expect(coordinator.spec.replicas).toBe(1);
    expect(coordinator.spec.strategy).toEqual({ type: 'Recreate' });
    const volumes = coordinator.spec.template.spec.volumes as any[];
    expect(volumes.find((v) => v.name === 'state').persistentVolumeClaim.claimName).toBe('tunefleet-coordinator-state');
    expect(coordinator.spec.template.spec.containers[0].args).toContain('--db=/var/lib/tunefleet/coordinator.db');
    expect(coordinator.spec.template.spec.serviceAccountName).toBe('tunefleet-coordinator');
    const service = one(objects(), 'Service', 'tunefleet-coordinator');
    expect(matches({ matchLabels: service.spec.selector }, coordinator.spec.template.metadata.labels)).toBe(true);
  });

  it('runs the workers as a StatefulSet under a headless Service, the pod name as worker id, on the RWX shared volume', () => {
    const workers = one(objects(), 'StatefulSet', 'tunefleet-worker');
    const headless = one(objects(), 'Service', workers.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    expect(matches({ matchLabels: headless.spec.selector }, workers.spec.template.metadata.labels)).toBe(true);
    expect(workers.spec.podManagementPolicy).toBe('Parallel');
    const args = workers.spec.template.spec.containers[0].args as string[];
    expect(args).toContain('--worker-id=$(POD_NAME)');
    expect(args).toContain(`--advertise-host=$(POD_NAME).${headless.metadata.name}.$(POD_NAMESPACE).svc`);
    expect(args).toContain('--coordinator=tunefleet-coordinator:50051');
    expect(one(objects(), 'PersistentVolumeClaim', 'tunefleet-shared').spec.accessModes).toEqual(['ReadWriteMany']);
    const shared = (workers.spec.template.spec.volumes as any[]).find((v) => v.persistentVolumeClaim?.claimName === 'tunefleet-shared');
    expect(workers.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === shared.name).mountPath).toBe('/shared');
  });

  it('locks every container down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const workload of workloads(objects())) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot, workload.metadata.name).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const container of containersOf(workload)) {
        const where = `${workload.metadata.name}/${container.name}`;
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext.privileged ?? false, where).toBe(false);
        expect(container.securityContext.capabilities.add ?? [], where).toEqual([]);
        // A read-only root needs a writable /tmp (tsx's cache, HOME): an emptyDir.
        const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
        expect(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, `${where} /tmp`).toBeDefined();
        expect(container.resources.requests.cpu, where).toBeDefined();
        expect(container.resources.requests.memory, where).toBeDefined();
        expect(container.resources.limits.cpu, where).toBeDefined();
        expect(container.resources.limits.memory, where).toBeDefined();
      }
    }
  });

  it('probes every server with gRPC health checking on its named gRPC port', () => {
    for (const workload of workloads(objects())) {
      for (const container of workload.spec.template.spec.containers) {
        const grpcPort = (container.ports as any[]).find((p) => p.name === 'grpc' || p.name === 'collective').containerPort;
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          expect(container[probe]?.grpc, `${workload.metadata.name} ${probe}`).toEqual({ port: grpcPort });
        }
      }
    }
  });

  it('gives the workers a memory-backed /dev/shm', () => {
    const workers = one(objects(), 'StatefulSet', 'tunefleet-worker');
    const mount = workers.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.mountPath === '/dev/shm');
    const volume = workers.spec.template.spec.volumes.find((v: any) => v.name === mount?.name);
    expect(volume?.emptyDir?.medium).toBe('Memory');
    expect(volume.emptyDir.sizeLimit).toMatch(/^\d+Gi$/);
  });

  it('grants the coordinator exactly the scaler\'s verbs: no wildcards, workers get no API access', () => {
    const roles = [...byKind(objects(), 'Role'), ...byKind(objects(), 'ClusterRole')];
    expect(roles.map((r) => r.metadata.name)).toEqual(['tunefleet-coordinator']);
    const rules = roles[0]!.rules as any[];
    for (const rule of rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) expect(rule[field], JSON.stringify(rule)).not.toContain('*');
    }
    expect(rules).toEqual(SCALER_RBAC_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })));
    const binding = one(objects(), 'RoleBinding', 'tunefleet-coordinator');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'tunefleet-coordinator', namespace: 'tunefleet' }]);
    const workers = one(objects(), 'StatefulSet', 'tunefleet-worker');
    expect(workers.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(one(objects(), 'ServiceAccount', workers.spec.template.spec.serviceAccountName).automountServiceAccountToken).toBe(false);
  });

  it('selects every pod with a NetworkPolicy that denies ingress by default and allows only the tunefleet paths', () => {
    const policies = byKind(objects(), 'NetworkPolicy');
    const denyAll = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress);
    expect(denyAll, 'a default-deny ingress policy').toBeDefined();
    const coordinatorLabels = one(objects(), 'Deployment', 'tunefleet-coordinator').spec.template.metadata.labels;
    const workerLabels = one(objects(), 'StatefulSet', 'tunefleet-worker').spec.template.metadata.labels;
    /** Every (source, port) the policies let in to pods with these labels. */
    const allowedIn = (labels: Record<string, string>): string[] =>
      policies
        .filter((p) => p.spec.policyTypes.includes('Ingress') && matches(p.spec.podSelector, labels))
        .flatMap((p) => (p.spec.ingress ?? []) as any[])
        .flatMap((rule) =>
          (rule.from as any[]).flatMap((peer) => {
            const source = peer.namespaceSelector
              ? `namespace ${peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}`
              : matches(peer.podSelector, coordinatorLabels)
                ? 'coordinator'
                : matches(peer.podSelector, workerLabels)
                  ? 'worker'
                  : `pods ${JSON.stringify(peer.podSelector)}`;
            return (rule.ports as any[]).map((port) => `${source} -> ${port.protocol}/${port.port}${port.endPort ? `-${port.endPort}` : ''}`);
          }),
        )
        .sort();
    expect(allowedIn(coordinatorLabels)).toEqual(['namespace monitoring -> TCP/9464', 'worker -> TCP/50051']);
    // 50052: the collective gRPC server (tunefleet worker --port); the range: the ring's TCP data plane, on a free port.
    expect(allowedIn(workerLabels)).toEqual(['coordinator -> TCP/50052', 'namespace monitoring -> TCP/9464', 'worker -> TCP/32768-60999', 'worker -> TCP/50052']);
    for (const workload of workloads(objects())) {
      const labels = workload.spec.template.metadata.labels;
      expect(policies.some((p) => p.spec.policyTypes.includes('Ingress') && matches(p.spec.podSelector, labels)), workload.metadata.name).toBe(true);
    }
  });
});

describe('overlay differences', () => {
  const worker = (overlay: string) => one(rendered[overlay]!, 'StatefulSet', 'tunefleet-worker').spec.template.spec;

  it('gpu: one nvidia.com/gpu per worker, the GPU taint tolerated, the GPU image and the tensorflow backend', () => {
    const spec = worker('gpu');
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(spec.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(spec.containers[0].image).toBe('tunefleet:0.1.0-gpu');
    expect(spec.containers[0].args).toContain('--backend=tensorflow');
  });

  it('cpu: no GPU resources or tolerations, the CPU image and the native backend', () => {
    const spec = worker('cpu');
    expect(spec.containers[0].resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
    expect(spec.containers[0].image).toBe('tunefleet:0.1.0-cpu');
    expect(spec.containers[0].args).toContain('--backend=native');
    expect(one(rendered['cpu']!, 'Deployment', 'tunefleet-coordinator').spec.template.spec.containers[0].image).toBe('tunefleet:0.1.0-cpu');
  });
});

describe('overlay kind', () => {
  it('is the cpu overlay with the shared claim ReadWriteOnce (kind\'s local-path offers nothing else), and valid', () => {
    const classes = modelClasses();
    for (const object of rendered['kind']!) expect(() => new (classes.get(`${object.apiVersion}/${object.kind}`)!)(object).validate()).not.toThrow();
    const shared = (objects: K8sObject[]) => one(objects, 'PersistentVolumeClaim', 'tunefleet-shared');
    expect(shared(rendered['kind']!).spec.accessModes).toEqual(['ReadWriteOnce']);
    const withoutClaim = (objects: K8sObject[]) => objects.filter((o) => o !== shared(objects));
    expect(withoutClaim(rendered['kind']!)).toEqual(withoutClaim(rendered['cpu']!));
  });
});

describe('the optional Kueue component', () => {
  it('labels the workers with a queue and a pod group as large as the StatefulSet', async () => {
    const overlay = join(scratch, 'k8s/overlays/cpu-kueue');
    await cp(join(scratch, 'k8s/overlays/cpu'), overlay, { recursive: true });
    await writeFile(
      join(overlay, 'kustomization.yaml'),
      ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', 'resources:', '  - ../cpu', 'components:', '  - ../../components/kueue', ''].join('\n'),
    );
    const workers = one(await render(overlay), 'StatefulSet', 'tunefleet-worker');
    expect(workers.metadata.labels?.['kueue.x-k8s.io/queue-name']).toBe('tunefleet');
    const pod = workers.spec.template.metadata;
    expect(pod.labels['kueue.x-k8s.io/queue-name']).toBe('tunefleet');
    expect(pod.labels['kueue.x-k8s.io/pod-group-name']).toBe('tunefleet-worker');
    expect(pod.annotations['kueue.x-k8s.io/pod-group-total-count']).toBe(String(workers.spec.replicas));
    // Without the component, no Kueue label at all.
    expect(JSON.stringify(rendered['cpu'])).not.toContain('kueue.x-k8s.io');
  });
});
