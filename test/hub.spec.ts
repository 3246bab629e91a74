import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoFromDirectory, startFakeHub, type FakeHub } from '../libs/model/src/hub/test-support.ts';

// `--model ORG/NAME` end to end: the CLI reads HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE and
// HF_TOKEN and downloads from a fake hub this test starts on 127.0.0.1.
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const INPUT = join(ROOT, 'test/fixtures/predict-input.txt');
const SHA = 'feedface'.repeat(5);
const TOKEN = 'hf_e2e_test_token';

async function tunefleet(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('HF_') && key !== 'XDG_CACHE_HOME'));
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...clean, ...env }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tunefleet --model ORG/NAME against a fake hub (HF_ENDPOINT)', () => {
  let work: string;
  let hub: FakeHub;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tunefleet-hub-e2e-'));
    const modelDir = join(work, 'published');
    const init = await tunefleet(['init-model', '--preset', 'tiny', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', modelDir], {});
    expect(init.code).toBe(0);
    const broken = await repoFromDirectory(modelDir, 'b'.repeat(40));
    broken.unavailable = new Set(['model.safetensors']);
    hub = await startFakeHub({ 'tunefleet-test/tiny-bert': await repoFromDirectory(modelDir, SHA), 'tunefleet-test/broken': broken });
  });

  afterAll(async () => {
    await hub?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('predict downloads config, weights and tokenizer into $HF_HOME/hub in the cache layout, with the token', async () => {
    const home = join(work, 'hf-home');
    const output = join(work, 'predictions.jsonl');
    const env = { HF_ENDPOINT: hub.endpoint, HF_HOME: home, HF_TOKEN: TOKEN };
    const result = await tunefleet(['predict', '--model', 'tunefleet-test/tiny-bert', '--input', INPUT, '--output', output], env);
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.code).toBe(0);
    expect((await readFile(output, 'utf8')).trim().split('\n')).toHaveLength(3);

    const folder = join(home, 'hub', 'models--tunefleet-test--tiny-bert');
    expect((await readdir(folder)).sort()).toEqual(['blobs', 'refs', 'snapshots']);
    expect(await readFile(join(folder, 'refs', 'main'), 'utf8')).toBe(SHA);
    const snapshot = join(folder, 'snapshots', SHA);
    expect((await readdir(snapshot)).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    expect((await lstat(join(snapshot, 'model.safetensors'))).isSymbolicLink()).toBe(true);
    expect(result.stderr).toContain('downloading tunefleet-test/tiny-bert/model.safetensors');
    expect(hub.requests.length).toBeGreaterThan(0);
    for (const request of hub.requests) expect(request.authorization, request.path).toBe(`Bearer ${TOKEN}`);

    // Offline, the same cache serves the model without a request.
    const before = hub.requests.length;
    const offline = await tunefleet(['predict', '--model', 'tunefleet-test/tiny-bert', '--input', INPUT, '--output', output], { ...env, HF_HUB_OFFLINE: '1' });
    expect(offline.code).toBe(0);
    expect(hub.requests.length).toBe(before);
  });

  it('HF_HUB_CACHE wins over HF_HOME; offline with an empty cache names the repo, the cache and what is missing', async () => {
    const cache = join(work, 'explicit-cache');
    const online = await tunefleet(['predict', '--model', 'tunefleet-test/tiny-bert', '--input', INPUT, '--output', join(work, 'p2.jsonl')], {
      HF_ENDPOINT: hub.endpoint,
      HF_HOME: join(work, 'unused-home'),
      HF_HUB_CACHE: cache,
    });
    expect(online.code).toBe(0);
    expect(await readdir(cache)).toEqual(['models--tunefleet-test--tiny-bert']);

    const empty = join(work, 'empty-cache');
    const offline = await tunefleet(['predict', '--model', 'tunefleet-test/tiny-bert', '--input', INPUT, '--output', join(work, 'p3.jsonl')], {
      HF_ENDPOINT: hub.endpoint,
      HF_HUB_CACHE: empty,
      HF_HUB_OFFLINE: '1',
    });
    expect(offline.code).not.toBe(0);
    expect(offline.stderr).toContain('HUB_NOT_CACHED');
    expect(offline.stderr).toContain('HF_HUB_OFFLINE');
    expect(offline.stderr).toContain('tunefleet-test/tiny-bert');
    expect(offline.stderr).toContain(empty);
  });

  it('a 404 names the repo, and for a missing file the repo and the file', async () => {
    const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: join(work, 'cache-404') };
    const repo = await tunefleet(['predict', '--model', 'tunefleet-test/absent', '--input', INPUT, '--output', join(work, 'x.jsonl')], env);
    expect(repo.code).not.toBe(0);
    expect(repo.stderr).toContain('HUB_REPO_NOT_FOUND');
    expect(repo.stderr).toContain('tunefleet-test/absent');
    const file = await tunefleet(['predict', '--model', 'tunefleet-test/broken', '--input', INPUT, '--output', join(work, 'y.jsonl')], env);
    expect(file.code).not.toBe(0);
    expect(file.stderr).toContain('HUB_FILE_NOT_FOUND');
    expect(file.stderr).toMatch(/tunefleet-test\/broken has no file model\.safetensors/);
  });
});
