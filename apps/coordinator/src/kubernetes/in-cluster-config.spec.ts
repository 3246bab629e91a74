import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorCode } from '@tunefleet/core';
import { inClusterConfig } from './in-cluster-config.ts';

describe('inClusterConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tunefleet-sa-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says that scaling needs the Kubernetes mode outside a pod, naming what is missing', () => {
    let error: unknown;
    try {
      inClusterConfig({ serviceHost: undefined, servicePort: '443', serviceAccountDir: dir });
    } catch (caught) {
      error = caught;
    }
    expect(errorCode(error)).toBe('KUBERNETES_MODE_REQUIRED');
    expect((error as Error).message).toContain('scaling workers needs the Kubernetes mode');
    expect((error as Error).message).toContain(`missing KUBERNETES_SERVICE_HOST, ${join(dir, 'token')}`);
  });

  it('builds the service-account config and reads the pod\'s namespace', async () => {
    await writeFile(join(dir, 'token'), 'sa-token');
    await writeFile(join(dir, 'namespace'), 'tunefleet\n');
    const { kubeConfig, namespace } = inClusterConfig({ serviceHost: 'fd00::1', servicePort: '443', serviceAccountDir: dir });
    expect(namespace).toBe('tunefleet');
    expect(kubeConfig.getCurrentCluster()).toMatchObject({ server: 'https://[fd00::1]:443', caFile: join(dir, 'ca.crt'), skipTLSVerify: false });
    expect(kubeConfig.getCurrentUser()?.authProvider).toEqual({ name: 'tokenFile', config: { tokenFile: join(dir, 'token') } });
  });
});
