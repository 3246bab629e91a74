import type { V1Pod } from '@kubernetes/client-node';
import { JOB_LABEL } from './job-statefulset.ts';

/** A worker pod as the elastic membership sees it: the pod name is the worker id (StatefulSet). */
export interface WorkerPod {
  readonly workerId: string;
  /** The job label's value, for a job's StatefulSet; undefined for the shared pool. */
  readonly job: string | undefined;
  readonly podIp: string | undefined;
  readonly nodeName: string | undefined;
}

/**
 * Where joins and losses go. The elastic membership (issue 10) implements it; until then the
 * coordinator can log them. Each pod joins once per life: a loss, then a join again after it restarts.
 */
export interface WorkerMembershipListener {
  /** The pod runs and is Ready. */
  onJoin(pod: WorkerPod): void;
  /** The pod was deleted, is terminating, ended, or its container restarted; `reason` says which. */
  onLoss(pod: WorkerPod, reason: string): void;
}

export function workerPod(pod: V1Pod): WorkerPod {
  return {
    workerId: pod.metadata?.name ?? '',
    job: pod.metadata?.labels?.[JOB_LABEL],
    podIp: pod.status?.podIP,
    nodeName: pod.spec?.nodeName,
  };
}

/** Restarts of the pod's containers, summed: a rise means the worker process died and came back. */
export function restartCount(pod: V1Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0);
}

/** Why this pod is not (or no longer) a live member; undefined when it is one. */
export function notLiveReason(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp !== undefined) return 'terminating';
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return `pod ${phase.toLowerCase()}`;
  if (phase !== 'Running') return `pod ${phase ?? 'phase unknown'}`;
  const ready = pod.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready?.status === 'True' ? undefined : 'not ready';
}
