import { describe, expect, it } from 'vitest';
import { JOB_LABEL, jobLabelValue, jobStatefulSetName, statefulSetForJob } from './job-statefulset.ts';

describe('jobStatefulSetName', () => {
  it('prefixes the job id and keeps only DNS-label characters', () => {
    expect(jobStatefulSetName('sst2-0a1b2c3d')).toBe('tunefleet-worker-sst2-0a1b2c3d');
    expect(jobStatefulSetName('My_Job.v2-0a1b2c3d')).toBe('tunefleet-worker-my-job-v2-0a1b2c3d');
    expect(jobLabelValue('sst2-0a1b2c3d')).toBe('sst2-0a1b2c3d');
  });

  it('keeps long ids at 52 characters, distinct through a hash of the whole id', () => {
    const long = `${'a'.repeat(63)}-0a1b2c3d`;
    const other = `${'a'.repeat(63)}-ffffffff`;
    const name = jobStatefulSetName(long);
    expect(name.length).toBeLessThanOrEqual(52);
    expect(name).toMatch(/^tunefleet-worker-a+-[0-9a-f]{8}$/);
    expect(jobStatefulSetName(other)).not.toBe(name);
    expect(jobStatefulSetName(long)).toBe(name);
  });
});

describe('statefulSetForJob', () => {
  const template = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'tunefleet-worker', namespace: 'tunefleet', uid: 'u', resourceVersion: '9', labels: { app: 'w' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: {
      replicas: 2,
      serviceName: 'tunefleet-workers',
      selector: { matchLabels: { app: 'w' } },
      template: {
        metadata: { labels: { app: 'w', 'kueue.x-k8s.io/pod-group-name': 'tunefleet-worker' }, annotations: { 'kueue.x-k8s.io/pod-group-total-count': '2' } },
        spec: { containers: [{ name: 'worker', image: 'tunefleet' }] },
      },
    },
    status: { replicas: 2 },
  };

  it('copies the pod spec under the job\'s name, labels and replica count; Kueue\'s gang follows the count', () => {
    const set = statefulSetForJob(template, 'sst2-0a1b2c3d', 5);
    expect(set.metadata).toEqual({ name: 'tunefleet-worker-sst2-0a1b2c3d', namespace: 'tunefleet', labels: { app: 'w', [JOB_LABEL]: 'sst2-0a1b2c3d' } });
    expect(set.spec!.replicas).toBe(5);
    expect(set.spec!.selector.matchLabels).toEqual({ app: 'w', [JOB_LABEL]: 'sst2-0a1b2c3d' });
    expect(set.spec!.template.metadata!.labels).toEqual({ app: 'w', [JOB_LABEL]: 'sst2-0a1b2c3d', 'kueue.x-k8s.io/pod-group-name': 'tunefleet-worker-sst2-0a1b2c3d' });
    expect(set.spec!.template.metadata!.annotations).toEqual({ 'kueue.x-k8s.io/pod-group-total-count': '5' });
    expect(set.spec!.serviceName).toBe('tunefleet-workers');
    expect('status' in set).toBe(false);
    // The template itself is untouched.
    expect(template.spec.replicas).toBe(2);
    expect(template.spec.selector.matchLabels).toEqual({ app: 'w' });
  });
});
