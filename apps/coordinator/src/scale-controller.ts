import type { Job, ScaleJobResponse } from '@tunefleet/proto';
import { isTerminal, type CoordinatorCore } from './coordinator-core.ts';
import { CoordinatorError } from './coordinator-error.ts';
import { membershipPolicy } from './membership.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './kubernetes/api-retry.ts';
import { inClusterConfig, type InClusterConfig, type InClusterEnvironment } from './kubernetes/in-cluster-config.ts';
import { KubernetesError } from './kubernetes/kubernetes-error.ts';
import { WorkerPodWatch } from './kubernetes/pod-watch.ts';
import type { WorkerMembershipListener } from './kubernetes/worker-membership.ts';
import { templateFromStatefulSet, WorkerScaler } from './kubernetes/worker-scaler.ts';

/** How the coordinator finds its cluster and its workers in Kubernetes mode. */
export interface KubernetesModeOptions {
  /** The pod's environment ($KUBERNETES_SERVICE_HOST/PORT, read by the CLI) and service-account directory. */
  readonly inCluster: InClusterEnvironment;
  /** The StatefulSet every job's worker set is copied from (deploy/k8s/base). */
  readonly poolStatefulSet?: string;
  /** Which pods are workers, for the pod watch. */
  readonly workerSelector?: string;
  readonly retry?: RetryPolicy;
}

export const DEFAULT_POOL_STATEFULSET = 'tunefleet-worker';
export const DEFAULT_WORKER_SELECTOR = 'app.kubernetes.io/name=tunefleet,app.kubernetes.io/component=worker';

interface Mode {
  readonly config: InClusterConfig;
  readonly scaler: WorkerScaler;
}

/**
 * `ScaleJob` and the worker counts `status` shows. In Kubernetes mode (an in-cluster config) a scale
 * request sets the replicas of the job's worker StatefulSet through WorkerScaler, and a
 * WorkerPodWatch feeds pod losses into the core's membership (as a Deregister: the rank is lost and
 * the ring re-forms without it); new pods register as workers and join at the ring's next
 * re-formation. Outside Kubernetes every scale request is refused with KUBERNETES_MODE_REQUIRED.
 */
export class JobScaling {
  readonly #core: CoordinatorCore;
  readonly #log: (line: string) => void;
  readonly #mode: Mode | undefined;
  /** Why there is no Kubernetes mode; what a scale request is told. */
  readonly #unavailable: KubernetesError | undefined;
  readonly #wanted = new Map<string, number>();
  readonly #retry: RetryPolicy;
  #watch: WorkerPodWatch | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #isStopped = false;

  private constructor(core: CoordinatorCore, options: KubernetesModeOptions | undefined, log: (line: string) => void) {
    this.#core = core;
    this.#log = log;
    this.#retry = options?.retry ?? DEFAULT_RETRY_POLICY;
    if (options === undefined) {
      this.#unavailable = new KubernetesError(
        'KUBERNETES_MODE_REQUIRED',
        'scaling workers needs the Kubernetes mode: this coordinator was started without an in-cluster configuration. Deploy it with deploy/k8s (deploy/README.md), or start a local cluster with `tunefleet train --workers N`.',
      );
      return;
    }
    try {
      const config = inClusterConfig(options.inCluster);
      const pool = options.poolStatefulSet ?? DEFAULT_POOL_STATEFULSET;
      const template = templateFromStatefulSet(config.kubeConfig, config.namespace, pool, this.#retry);
      this.#mode = { config, scaler: new WorkerScaler({ kubeConfig: config.kubeConfig, namespace: config.namespace, template, retry: this.#retry }) };
      this.#startWatch(options.workerSelector ?? DEFAULT_WORKER_SELECTOR);
      log(`Kubernetes mode: scaling worker StatefulSets (copies of ${pool}) and watching pods ${options.workerSelector ?? DEFAULT_WORKER_SELECTOR} in namespace ${config.namespace}`);
    } catch (error) {
      if (!(error instanceof KubernetesError)) throw error;
      this.#unavailable = error;
      // In a pod without a service-account token (automount off) say why scaling will be refused.
      if (options.inCluster.serviceHost) log(`Kubernetes mode off: ${error.message}`);
    }
  }

  /** Kubernetes mode when `options` yields an in-cluster configuration; otherwise every scale is refused. */
  static start(core: CoordinatorCore, options: KubernetesModeOptions | undefined, log: (line: string) => void): JobScaling {
    return new JobScaling(core, options, log);
  }

  get isKubernetesMode(): boolean {
    return this.#mode !== undefined;
  }

  /** Sets the job's worker count (within [min_workers, max_workers]) through the Kubernetes API. */
  async scale(jobId: string, workers: number): Promise<ScaleJobResponse> {
    if (this.#mode === undefined) throw this.#unavailable!;
    const job = this.#core.getJob(jobId);
    if (isTerminal(job.state)) throw new CoordinatorError('JOB_ALREADY_FINISHED', `job ${jobId} already finished; there is nothing to scale.`);
    const { minWorkers, maxWorkers } = membershipPolicy(job.spec);
    const result = await this.#mode.scaler.scale({ jobId, workers, minWorkers, maxWorkers });
    this.#wanted.set(jobId, workers);
    const verb = result.created ? 'created' : `scaled from ${result.previousReplicas}`;
    this.#log(`job ${jobId}: StatefulSet ${this.#mode.config.namespace}/${result.statefulSet} ${verb} to ${workers} replicas (new workers join at the ring's next re-formation)`);
    return { job: this.describe(this.#core.getJob(jobId)), statefulSet: result.statefulSet, previousReplicas: result.previousReplicas, created: result.created };
  }

  /** The job with its worker counts: wanted (the latest scale, else world_size) and running (its ring's ranks). */
  describe(job: Job): Job {
    const wantedWorkers = this.#wanted.get(job.jobId) ?? job.spec?.worldSize ?? 0;
    const runningWorkers = isTerminal(job.state) ? 0 : this.#core.ringSize(job.jobId);
    return { ...job, wantedWorkers, runningWorkers };
  }

  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#watchTimer);
    this.#watch?.stop();
  }

  /** Starts the pod watch, retrying its first LIST until it works: the API server may be starting too. */
  #startWatch(labelSelector: string): void {
    const { config } = this.#mode!;
    const listener: WorkerMembershipListener = {
      onJoin: (pod) => this.#log(`worker pod ${pod.workerId} is ready${pod.job === undefined ? '' : ` (job set ${pod.job})`}`),
      onLoss: (pod, reason) => {
        this.#log(`worker pod ${pod.workerId} lost (${reason})`);
        this.#core.deregister({ workerId: pod.workerId, reason: `its Kubernetes pod was lost (${reason})` });
      },
    };
    const attempt = (): void => {
      if (this.#isStopped) return;
      const watch = new WorkerPodWatch({ kubeConfig: config.kubeConfig, namespace: config.namespace, labelSelector, listener, retry: this.#retry, log: this.#log });
      this.#watch = watch;
      watch.start().catch((error: unknown) => {
        watch.stop();
        if (this.#isStopped) return;
        this.#log(`pod watch could not start (${(error as Error).message}); trying again in ${this.#retry.maxDelayMs} ms`);
        this.#watchTimer = setTimeout(attempt, this.#retry.maxDelayMs);
      });
    };
    attempt();
  }
}
