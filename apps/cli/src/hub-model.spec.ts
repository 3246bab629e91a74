import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubSettingsFromEnvironment } from './hub-model.ts';

describe('hubSettingsFromEnvironment', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'tunefleet-hf-home-'));
  });
  afterAll(() => rm(home, { recursive: true, force: true }));

  it('defaults: huggingface.co, ~/.cache/huggingface/hub, online, no token', () => {
    expect(hubSettingsFromEnvironment({}, home)).toEqual({
      endpoint: 'https://huggingface.co',
      cacheDir: join(home, '.cache', 'huggingface', 'hub'),
      isOffline: false,
    });
  });

  it('reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE and HF_TOKEN', () => {
    const env = { HF_ENDPOINT: 'http://127.0.0.1:9/', HF_HOME: '/hf', HF_HUB_OFFLINE: 'true', HF_TOKEN: 'hf_x' };
    expect(hubSettingsFromEnvironment(env, home)).toEqual({ endpoint: 'http://127.0.0.1:9', cacheDir: '/hf/hub', isOffline: true, token: 'hf_x' });
    expect(hubSettingsFromEnvironment({ ...env, HF_HUB_CACHE: '/cache' }, home).cacheDir).toBe('/cache');
    expect(hubSettingsFromEnvironment({ HF_HUB_OFFLINE: '0' }, home).isOffline).toBe(false);
  });

  it('without HF_TOKEN, the token file huggingface-cli login writes ($HF_HOME/token, or HF_TOKEN_PATH)', async () => {
    await writeFile(join(home, 'token'), 'hf_from_file\n');
    expect(hubSettingsFromEnvironment({ HF_HOME: home }, home).token).toBe('hf_from_file');
    expect(hubSettingsFromEnvironment({ HF_HOME: home, HF_TOKEN: 'hf_env' }, home).token).toBe('hf_env');
    const other = join(home, 'other-token');
    await writeFile(other, 'hf_other');
    expect(hubSettingsFromEnvironment({ HF_HOME: home, HF_TOKEN_PATH: other }, home).token).toBe('hf_other');
  });
});
