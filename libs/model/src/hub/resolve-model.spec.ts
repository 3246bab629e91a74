import { lstat, mkdtemp, readFile, readlink, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCode } from '@tunefleet/core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCheckpointWeights } from '../checkpoint/index.ts';
import { HubError } from './hub-error.ts';
import { hfHomeDir, hubCacheDir, isTrueValue, type HubSettings } from './hub-settings.ts';
import { isRepoId, resolveModel } from './resolve-model.ts';
import { etagOf, repoFromDirectory, startFakeHub, type FakeHub } from './test-support.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const GOLDEN = join(FIXTURES, 'golden/sequence-classification');
const SHA = '0123456789abcdef0123456789abcdef01234567';
const TOKEN = 'hf_fake_token_for_tests';

let hub: FakeHub;
let cacheDir: string;
const scratch: string[] = [];

beforeEach(async () => {
  const golden = await repoFromDirectory(GOLDEN, SHA);
  golden.files.delete('expected.safetensors');
  golden.files.delete('inputs.json');
  golden.files.set('vocab.txt', new TextEncoder().encode('[PAD]\n[UNK]\n'));
  golden.files.set('tf_model.h5', new Uint8Array(16)); // not a file tunefleet reads: never fetched
  hub = await startFakeHub({
    'org/tiny': golden,
    'org/sharded': await repoFromDirectory(join(FIXTURES, 'bin/sharded-bin'), 'b'.repeat(40)),
    'bare-name': await repoFromDirectory(join(FIXTURES, 'bin/zip'), 'c'.repeat(40)),
  });
  cacheDir = await mkdtemp(join(tmpdir(), 'tunefleet-hub-cache-'));
  scratch.push(cacheDir);
});
afterEach(() => hub.close());
afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

function settings(overrides: Partial<HubSettings> = {}): HubSettings {
  return { endpoint: hub.endpoint, cacheDir, isOffline: false, token: TOKEN, ...overrides };
}

async function failure(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}

const downloads = (): string[] => hub.requests.filter((r) => r.path.includes('/resolve/')).map((r) => r.path);

describe('resolveModel: download into the Hugging Face cache layout', () => {
  it('fetches config.json, the weights and the tokenizer files into models--ORG--NAME/{blobs,refs,snapshots}', async () => {
    const lines: string[] = [];
    const dir = await resolveModel('org/tiny', settings(), { log: (line) => lines.push(line) });
    const folder = join(cacheDir, 'models--org--tiny');
    expect(dir).toBe(join(folder, 'snapshots', SHA));
    expect(await readFile(join(folder, 'refs', 'main'), 'utf8')).toBe(SHA);
    const repo = hub.repos.get('org/tiny')!;
    for (const name of ['config.json', 'model.safetensors', 'vocab.txt']) {
      const pointer = join(dir, name);
      expect((await lstat(pointer)).isSymbolicLink(), name).toBe(true);
      expect(await readlink(pointer)).toBe(join('..', '..', 'blobs', etagOf(name, repo.files.get(name)!)));
      expect(new Uint8Array(await readFile(pointer))).toEqual(new Uint8Array(repo.files.get(name)!));
    }
    expect(downloads().some((path) => path.endsWith('tf_model.h5'))).toBe(false);
    expect(downloads().some((path) => path.endsWith('model-f16.safetensors'))).toBe(false);
    expect(lines.some((line) => line.startsWith('downloading org/tiny/model.safetensors'))).toBe(true);
    const { tensors } = await readCheckpointWeights(dir);
    expect(tensors.has('classifier.weight')).toBe(true);
  });

  it('sends HF_TOKEN as Authorization: Bearer on every request', async () => {
    hub.requiredToken = TOKEN;
    await resolveModel('org/tiny', settings());
    expect(hub.requests.length).toBeGreaterThan(3);
    for (const request of hub.requests) expect(request.authorization, request.path).toBe(`Bearer ${TOKEN}`);
  });

  it('downloads nothing again once the snapshot is complete', async () => {
    await resolveModel('org/tiny', settings());
    const first = downloads().length;
    await resolveModel('org/tiny', settings());
    expect(downloads().length).toBe(first);
  });

  it('a sharded checkpoint brings its index and every shard; a bare NAME works too', async () => {
    const dir = await resolveModel('org/sharded', settings());
    const { tensors, file } = await readCheckpointWeights(dir);
    expect(file).toBe(join(dir, 'pytorch_model.bin.index.json'));
    expect(tensors.size).toBeGreaterThan(10);
    const bare = await resolveModel('bare-name', settings({ token: undefined }));
    expect(bare).toBe(join(cacheDir, 'models--bare-name', 'snapshots', 'c'.repeat(40)));
    expect((await readCheckpointWeights(bare)).file).toBe(join(bare, 'pytorch_model.bin'));
  });

  it('an existing local directory is used as it is, without asking the hub', async () => {
    expect(await resolveModel(GOLDEN, settings())).toBe(GOLDEN);
    expect(hub.requests).toEqual([]);
    const error = await failure(resolveModel('./no/such/dir', settings()));
    expect(errorCode(error)).toBe('HUB_MODEL_NOT_FOUND');
  });
});

describe('resolveModel: errors name the repo and what is missing', () => {
  it('a 404 for the repo names the repo; a 404 for a listed file names the repo and the file', async () => {
    const missingRepo = await failure(resolveModel('org/absent', settings()));
    expect(errorCode(missingRepo)).toBe('HUB_REPO_NOT_FOUND');
    expect(missingRepo.message).toContain('org/absent');
    hub.repos.get('org/tiny')!.unavailable = new Set(['model.safetensors']);
    const missingFile = await failure(resolveModel('org/tiny', settings()));
    expect(errorCode(missingFile)).toBe('HUB_FILE_NOT_FOUND');
    expect(missingFile.message).toContain('org/tiny');
    expect(missingFile.message).toContain('model.safetensors');
  });

  it('a refused token is HUB_UNAUTHORIZED; no token on a private repo says to set HF_TOKEN', async () => {
    hub.requiredToken = TOKEN;
    expect(errorCode(await failure(resolveModel('org/tiny', settings({ token: 'hf_wrong' }))))).toBe('HUB_UNAUTHORIZED');
    const anonymous = await failure(resolveModel('org/tiny', settings({ token: undefined })));
    expect(anonymous.message).toContain('HF_TOKEN');
    expect(errorCode(await failure(resolveModel('org/tiny', settings({ token: 'not-a-token' }))))).toBe('HUB_TOKEN_INVALID');
  });

  it('offline (HF_HUB_OFFLINE): the cached snapshot, without a request; an empty cache names the repo and the cache', async () => {
    const online = await resolveModel('org/tiny', settings());
    const requests = hub.requests.length;
    expect(await resolveModel('org/tiny', settings({ isOffline: true }))).toBe(online);
    expect(hub.requests.length).toBe(requests);

    const error = await failure(resolveModel('org/other', settings({ isOffline: true })));
    expect(errorCode(error)).toBe('HUB_NOT_CACHED');
    expect(error.message).toContain('HF_HUB_OFFLINE');
    expect(error.message).toContain('org/other');
    expect(error.message).toContain(cacheDir);
  });

  it('offline with a snapshot that lost its weights names the missing file', async () => {
    const dir = await resolveModel('org/sharded', settings());
    await unlink(join(dir, 'pytorch_model-00002-of-00002.bin'));
    const error = await failure(resolveModel('org/sharded', settings({ isOffline: true })));
    expect(errorCode(error)).toBe('HUB_NOT_CACHED');
    expect(error.message).toContain('pytorch_model-00002-of-00002.bin');
  });

  it('an unreachable hub falls back to a complete cache, and without one is a retryable HUB_UNREACHABLE', async () => {
    const online = await resolveModel('org/tiny', settings());
    await hub.close();
    const lines: string[] = [];
    expect(await resolveModel('org/tiny', settings(), { log: (line) => lines.push(line) })).toBe(online);
    expect(lines.join('\n')).toContain('unreachable');
    const error = await failure(resolveModel('org/sharded', settings()));
    expect(errorCode(error)).toBe('HUB_UNREACHABLE');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain(hub.endpoint);
    expect(error.message).toContain('org/sharded');
  });
});

describe('hub settings helpers', () => {
  it('cache directory and boolean values follow huggingface_hub', () => {
    expect(hubCacheDir({ hubCache: '/c', hfHome: '/h', homeDir: '/home/u' })).toBe('/c');
    expect(hubCacheDir({ hfHome: '/h', homeDir: '/home/u' })).toBe('/h/hub');
    expect(hubCacheDir({ xdgCacheHome: '/x', homeDir: '/home/u' })).toBe('/x/huggingface/hub');
    expect(hubCacheDir({ homeDir: '/home/u' })).toBe('/home/u/.cache/huggingface/hub');
    expect(hfHomeDir({ hfHome: '', homeDir: '/home/u' })).toBe('/home/u/.cache/huggingface');
    expect(['1', 'true', 'YES', 'on'].map(isTrueValue)).toEqual([true, true, true, true]);
    expect(['0', 'false', '', undefined].map(isTrueValue)).toEqual([false, false, false, false]);
  });

  it('repo ids: NAME or ORG/NAME', () => {
    expect(['bert-base-uncased', 'google-bert/bert-base-uncased', 'a_b.c/d-e'].every(isRepoId)).toBe(true);
    expect(['./dir', '/abs/path', 'a/b/c', 'a--b', 'a/../b', ''].some(isRepoId)).toBe(false);
  });
});
