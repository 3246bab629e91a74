import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, withServerRetry, type RetryPolicy } from './api-retry.ts';
import { notLiveReason, restartCount, workerPod, type WorkerMembershipListener } from './worker-membership.ts';

export interface WorkerPodWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Which pods are workers: `app.kubernetes.io/component=worker` (and a job label, for one job). */
  readonly labelSelector: string;
  readonly listener: WorkerMembershipListener;
  /** Backoff between re-lists after a dropped watch; it never gives up while started. */
  readonly retry?: RetryPolicy;
  readonly log?: (line: string) => void;
}

interface Member {
  readonly restarts: number;
}

/**
 * Turns the worker pods' life into joins and losses. LIST the pods (the state now, and the
 * resourceVersion to watch from), then WATCH from there. A watch that ends (the API server closes
 * watches every few minutes, a network fault, 410 Gone for a too-old resourceVersion) is answered
 * with a fresh LIST and a new WATCH; pods that vanished in between are reported lost, pods that
 * became ready are reported joined, so no change is missed and none is reported twice.
 */
export class WorkerPodWatch {
  readonly #options: WorkerPodWatchOptions;
  readonly #core: CoreV1Api;
  readonly #watch: Watch;
  readonly #retry: RetryPolicy;
  readonly #members = new Map<string, Member>();
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #isStopped = false;
  #failures = 0;
  /** Which watch is current: the end of an older one (aborted by us) is not a drop. */
  #generation = 0;

  constructor(options: WorkerPodWatchOptions) {
    this.#options = options;
    this.#core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.#watch = new Watch(options.kubeConfig);
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** Lists the pods (reporting the live ones as joined) and starts watching; resolves after the first LIST. */
  async start(): Promise<void> {
    await this.#listAndWatch();
  }

  /** Ends the watch; no event is reported after this resolves. */
  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  /** Worker ids that are members now. */
  members(): string[] {
    return [...this.#members.keys()].sort();
  }

  async #listAndWatch(): Promise<void> {
    const { namespace, labelSelector } = this.#options;
    const list = await withServerRetry(`LIST /api/v1/namespaces/${namespace}/pods`, this.#retry, () =>
      this.#core.listNamespacedPod({ namespace, labelSelector }),
    );
    if (this.#isStopped) return;
    const seen = new Set<string>();
    for (const pod of list.items) {
      seen.add(pod.metadata?.name ?? '');
      this.#observe(pod);
    }
    for (const [name] of this.#members) {
      if (!seen.has(name)) this.#lose(name, { metadata: { name } }, 'deleted while the watch was down');
    }
    const resourceVersion = list.metadata?.resourceVersion;
    const generation = ++this.#generation;
    this.#abort = await this.#watch.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      { labelSelector, resourceVersion, allowWatchBookmarks: true },
      (type, object: V1Pod) => {
        if (generation === this.#generation) this.#onEvent(type, object);
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#onWatchEnd(error);
      },
    );
    if (this.#isStopped) this.#abort.abort();
  }

  #onEvent(type: string, pod: V1Pod): void {
    if (this.#isStopped) return;
    this.#failures = 0;
    if (type === 'ERROR') {
      // 410 Gone and friends: the watch cannot go on from this resourceVersion. Ending it re-lists.
      const message = (pod as { message?: string }).message ?? 'error event';
      this.#generation++;
      this.#abort?.abort();
      this.#onWatchEnd(new Error(message));
      return;
    }
    if (type === 'BOOKMARK') return;
    const name = pod.metadata?.name ?? '';
    if (type === 'DELETED') this.#lose(name, pod, 'deleted');
    else this.#observe(pod);
  }

  #observe(pod: V1Pod): void {
    const name = pod.metadata?.name ?? '';
    const member = this.#members.get(name);
    const reason = notLiveReason(pod);
    const restarts = restartCount(pod);
    if (member !== undefined && restarts > member.restarts) this.#lose(name, pod, 'container restarted');
    else if (member !== undefined && reason !== undefined && reason !== 'not ready') this.#lose(name, pod, reason);
    // Not ready alone is not a loss: a long training step can hold the health answer back.
    if (!this.#members.has(name) && reason === undefined) {
      this.#members.set(name, { restarts });
      this.#options.listener.onJoin(workerPod(pod));
    }
  }

  #lose(name: string, pod: V1Pod, reason: string): void {
    if (!this.#members.delete(name)) return;
    this.#options.listener.onLoss(workerPod(pod), reason);
  }

  #onWatchEnd(error: unknown): void {
    if (this.#isStopped || this.#timer !== undefined) return;
    this.#generation++;
    const delayMs = backoffDelayMs(this.#retry, this.#failures++);
    const why = error ? (error as Error).message : 'closed by the server';
    this.#options.log?.(`pod watch ended (${why}); re-listing in ${delayMs} ms`);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#listAndWatch().catch((failure: unknown) => this.#onWatchEnd(failure));
    }, delayMs);
  }
}
