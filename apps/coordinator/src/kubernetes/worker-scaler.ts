import { AppsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1StatefulSet } from '@kubernetes/client-node';
import { apiFailure, DEFAULT_RETRY_POLICY, refused, withServerRetry, type RetryPolicy } from './api-retry.ts';
import { jobStatefulSetName, statefulSetForJob } from './job-statefulset.ts';
import { KubernetesError } from './kubernetes-error.ts';

export interface WorkerScalerOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the workers (the coordinator's own, in the manifests: `tunefleet`). */
  readonly namespace: string;
  /**
   * The StatefulSet a job's workers are created from when the job has none yet; called only then.
   * `templateFromStatefulSet` reads the pool StatefulSet the manifests deploy.
   */
  readonly template: () => Promise<V1StatefulSet>;
  readonly retry?: RetryPolicy;
  /** 409 answers (someone else changed the set between our read and our write) tolerated per request. */
  readonly maxConflicts?: number;
}

export interface ScaleRequest {
  readonly jobId: string;
  readonly workers: number;
  /** The job spec's min_workers / max_workers. */
  readonly minWorkers: number;
  readonly maxWorkers: number;
}

export interface ScaleResult {
  readonly statefulSet: string;
  /** Replicas before the change (0 when the StatefulSet was created). */
  readonly previousReplicas: number;
  readonly replicas: number;
  readonly created: boolean;
}

// A few concurrent writers (a person scaling, the elastic membership shrinking a lost rank) settle
// in one or two rounds; five rounds of losing means something is fighting us: say so.
const DEFAULT_MAX_CONFLICTS = 5;

/** Refuses a worker count outside [min, max] (or a range that is itself invalid), naming both bounds. */
export function checkScaleRange(request: ScaleRequest): void {
  const { jobId, workers, minWorkers, maxWorkers } = request;
  if (!Number.isInteger(minWorkers) || !Number.isInteger(maxWorkers) || minWorkers < 1 || maxWorkers < minWorkers) {
    throw new KubernetesError(
      'SCALE_OUT_OF_RANGE',
      `job ${jobId}: invalid worker range [min_workers ${minWorkers}, max_workers ${maxWorkers}]: expected integers with 1 <= min_workers <= max_workers.`,
    );
  }
  if (!Number.isInteger(workers) || workers < minWorkers || workers > maxWorkers) {
    throw new KubernetesError(
      'SCALE_OUT_OF_RANGE',
      `job ${jobId}: cannot scale to ${workers} workers: outside [${minWorkers}, ${maxWorkers}] (the job's min_workers ${minWorkers} and max_workers ${maxWorkers}); pick a count in that range.`,
    );
  }
}

/**
 * Sets the replicas of a job's worker StatefulSet through the Kubernetes API, creating the set from
 * the template when the job has none. Protocol, one round per attempt:
 *   1. GET  .../statefulsets/NAME/scale             404: go to 3
 *   2. PATCH .../statefulsets/NAME/scale             merge patch {metadata.resourceVersion, spec.replicas}:
 *      the resourceVersion makes the write conditional, so a concurrent change answers 409 and we
 *      re-read (1) instead of overwriting what we did not see. Equal replicas: no write.
 *   3. POST .../statefulsets                         the template with the job's name and labels;
 *      409 (created meanwhile by someone else): re-read (1).
 * 5xx and unreachable servers are retried with bounded backoff (RetryPolicy) at every step.
 */
export class WorkerScaler {
  readonly #apps: AppsV1Api;
  readonly #options: WorkerScalerOptions;
  readonly #retry: RetryPolicy;

  constructor(options: WorkerScalerOptions) {
    this.#options = options;
    this.#apps = options.kubeConfig.makeApiClient(AppsV1Api);
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  async scale(request: ScaleRequest): Promise<ScaleResult> {
    checkScaleRange(request);
    const { namespace } = this.#options;
    const name = jobStatefulSetName(request.jobId);
    const maxConflicts = this.#options.maxConflicts ?? DEFAULT_MAX_CONFLICTS;
    const scalePath = `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}/scale`;
    for (let conflicts = 0; conflicts <= maxConflicts; conflicts++) {
      const current = await this.#readScale(name, scalePath);
      if (current === undefined) {
        const created = await this.#create(request, name);
        if (created) return { statefulSet: name, previousReplicas: 0, replicas: request.workers, created: true };
        continue;
      }
      const previousReplicas = current.spec?.replicas ?? 0;
      if (previousReplicas === request.workers) return { statefulSet: name, previousReplicas, replicas: request.workers, created: false };
      const body = { metadata: { resourceVersion: current.metadata?.resourceVersion }, spec: { replicas: request.workers } };
      try {
        await withServerRetry(`PATCH ${scalePath}`, this.#retry, () =>
          this.#apps.patchNamespacedStatefulSetScale({ name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
        );
        return { statefulSet: name, previousReplicas, replicas: request.workers, created: false };
      } catch (error) {
        if (apiFailure(error).status !== 409) throw error instanceof KubernetesError ? error : refused(`PATCH ${scalePath}`, error);
      }
    }
    throw new KubernetesError(
      'SCALE_CONFLICT',
      `job ${request.jobId}: StatefulSet ${namespace}/${name} changed under every one of ${maxConflicts + 1} attempts to set ${request.workers} replicas (HTTP 409 each time); something else is writing it: check \`kubectl -n ${namespace} get statefulset ${name} -o yaml\` (managedFields).`,
      { isRetryable: true, httpStatus: 409 },
    );
  }

  /** The scale subresource, or undefined when the StatefulSet does not exist (404). */
  async #readScale(name: string, path: string) {
    try {
      return await withServerRetry(`GET ${path}`, this.#retry, () => this.#apps.readNamespacedStatefulSetScale({ name, namespace: this.#options.namespace }));
    } catch (error) {
      if (error instanceof KubernetesError) throw error;
      if (apiFailure(error).status === 404) return undefined;
      throw refused(`GET ${path}`, error);
    }
  }

  /** Creates the job's StatefulSet; false when it appeared meanwhile (409), so the caller re-reads. */
  async #create(request: ScaleRequest, name: string): Promise<boolean> {
    const { namespace } = this.#options;
    const path = `/apis/apps/v1/namespaces/${namespace}/statefulsets`;
    const body = statefulSetForJob(await this.#options.template(), request.jobId, request.workers);
    body.metadata = { ...body.metadata, name, namespace };
    try {
      await withServerRetry(`POST ${path}`, this.#retry, () => this.#apps.createNamespacedStatefulSet({ namespace, body }));
      return true;
    } catch (error) {
      if (error instanceof KubernetesError) throw error;
      if (apiFailure(error).status === 409) return false;
      throw refused(`POST ${path}`, error);
    }
  }
}

/** A `template` for WorkerScalerOptions: reads the pool StatefulSet (deploy/k8s/base: `tunefleet-worker`). */
export function templateFromStatefulSet(kubeConfig: KubeConfig, namespace: string, name: string, retry: RetryPolicy = DEFAULT_RETRY_POLICY): () => Promise<V1StatefulSet> {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const path = `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`;
  return async () => {
    try {
      return await withServerRetry(`GET ${path}`, retry, () => apps.readNamespacedStatefulSet({ name, namespace }));
    } catch (error) {
      if (error instanceof KubernetesError) throw error;
      throw refused(`GET ${path} (the template of every job's workers)`, error);
    }
  };
}
