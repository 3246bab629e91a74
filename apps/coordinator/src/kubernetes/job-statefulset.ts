import { createHash } from 'node:crypto';
import type { V1StatefulSet } from '@kubernetes/client-node';

/** Label on a job's StatefulSet, its selector and its pods: which job the workers belong to. */
export const JOB_LABEL = 'tunefleet.dev/job';
const KUEUE_POD_GROUP_NAME = 'kueue.x-k8s.io/pod-group-name';
const KUEUE_POD_GROUP_COUNT = 'kueue.x-k8s.io/pod-group-total-count';

const PREFIX = 'tunefleet-worker-';
// The StatefulSet controller labels each pod with `<name>-<10-char hash>` (controller-revision-hash),
// and a label value holds at most 63 characters: names longer than 52 break the pods.
const MAX_NAME = 52;

/**
 * The StatefulSet of a job's workers: `tunefleet-worker-<job id>`, lower-cased, every character outside
 * [a-z0-9-] turned into `-`; a name that would pass 52 characters keeps its start and ends in a hash
 * of the whole job id, so two long ids never share a StatefulSet.
 */
export function jobStatefulSetName(jobId: string): string {
  const cleaned = jobId.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
  const name = `${PREFIX}${cleaned}`;
  if (name.length <= MAX_NAME && cleaned !== '') return name;
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 8);
  const room = MAX_NAME - PREFIX.length - hash.length - 1;
  return `${PREFIX}${cleaned.slice(0, room).replace(/-+$/, '')}-${hash}`.replace(/--+/g, '-');
}

/** The value of JOB_LABEL for a job: the StatefulSet name's suffix (a valid label value). */
export function jobLabelValue(jobId: string): string {
  return jobStatefulSetName(jobId).slice(PREFIX.length);
}

/**
 * A job's StatefulSet, built from a template (the pool StatefulSet the manifests deploy): the same
 * pod spec, its own name, the job label on itself, its selector and its pods (so two jobs' sets never
 * claim each other's pods), `replicas` workers, and a Kueue pod group of that size when the template
 * has one. Server-owned fields (status, uid, resourceVersion, ...) are dropped.
 */
export function statefulSetForJob(template: V1StatefulSet, jobId: string, replicas: number): V1StatefulSet {
  const name = jobStatefulSetName(jobId);
  const job = jobLabelValue(jobId);
  const spec = structuredClone(template.spec);
  if (spec === undefined) throw new TypeError(`template StatefulSet ${template.metadata?.name ?? '?'} has no spec`);
  const podMetadata = spec.template.metadata ?? {};
  const podLabels: Record<string, string> = { ...podMetadata.labels, [JOB_LABEL]: job };
  if (podLabels[KUEUE_POD_GROUP_NAME] !== undefined) podLabels[KUEUE_POD_GROUP_NAME] = name;
  const podAnnotations = { ...podMetadata.annotations };
  if (podAnnotations[KUEUE_POD_GROUP_COUNT] !== undefined) podAnnotations[KUEUE_POD_GROUP_COUNT] = String(replicas);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      ...(template.metadata?.namespace ? { namespace: template.metadata.namespace } : {}),
      labels: { ...template.metadata?.labels, [JOB_LABEL]: job },
    },
    spec: {
      ...spec,
      replicas,
      selector: { ...spec.selector, matchLabels: { ...spec.selector.matchLabels, [JOB_LABEL]: job } },
      template: {
        ...spec.template,
        metadata: {
          ...podMetadata,
          labels: podLabels,
          ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}),
        },
      },
    },
  };
}
