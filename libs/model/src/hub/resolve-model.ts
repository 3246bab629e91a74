import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { downloadFile, HubApiError, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { isShardIndex, readWeightMap, shardFiles, WEIGHT_FILES } from '../checkpoint/index.ts';
import { HubError } from './hub-error.ts';
import { hasSnapshotFile, readRef, repoFolder, snapshotDir, storeFile, writeRef } from './hub-cache.ts';
import { DEFAULT_REVISION, type HubSettings } from './hub-settings.ts';

/** Tokenizer files a model repo may carry (WordPiece, byte-level BPE, SentencePiece); those present are fetched. */
export const HUB_TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'sentencepiece.bpe.model',
  'spiece.model',
] as const;

export interface ResolveModelOptions {
  /** Progress lines (each download, a fallback to the cache). */
  log?: (line: string) => void;
}

/** huggingface_hub's repo id rule: `NAME` or `ORG/NAME` of [A-Za-z0-9_.-], no `--` or `..`, at most 96 characters. */
export function isRepoId(text: string): boolean {
  return text.length <= 96 && /^(?:[\w][\w.-]*\/)?[\w][\w.-]*$/.test(text) && !text.includes('--') && !text.includes('..') && !text.endsWith('.');
}

/**
 * `--model` as transformers' from_pretrained reads it: an existing directory is used as it is; a
 * repo id (`ORG/NAME` or `NAME`) is resolved to its snapshot in the Hugging Face cache, downloading
 * `config.json`, the weights (safetensors first, sharded or not, else pytorch_model.bin) and the
 * tokenizer files that are missing. Offline, or with the hub unreachable, a complete cached snapshot
 * is used; otherwise the error names what the cache lacks.
 */
export async function resolveModel(nameOrPath: string, settings: HubSettings, options: ResolveModelOptions = {}): Promise<string> {
  if (await isDirectory(nameOrPath)) return nameOrPath;
  if (!isRepoId(nameOrPath)) {
    throw new HubError('HUB_MODEL_NOT_FOUND', nameOrPath, `${nameOrPath}: no such model directory, and not a Hugging Face repo id (ORG/NAME or NAME)`);
  }
  const log = options.log ?? (() => undefined);
  if (settings.isOffline) return cachedSnapshot(nameOrPath, settings, 'HF_HUB_OFFLINE is set');
  if (settings.token !== undefined && !settings.token.startsWith('hf_')) {
    throw new HubError('HUB_TOKEN_INVALID', nameOrPath, 'HF_TOKEN is not a Hugging Face access token (they start with hf_); create one at https://huggingface.co/settings/tokens');
  }
  return new Download(nameOrPath, settings, log).run();
}

class Download {
  private readonly folder: string;
  private readonly revision: string;
  private readonly credentials: { hubUrl: string; accessToken?: string };

  constructor(
    private readonly repo: string,
    private readonly settings: HubSettings,
    private readonly log: (line: string) => void,
  ) {
    this.folder = repoFolder(settings.cacheDir, repo);
    this.revision = settings.revision ?? DEFAULT_REVISION;
    this.credentials = { hubUrl: settings.endpoint, ...(settings.token === undefined ? {} : { accessToken: settings.token }) };
  }

  async run(): Promise<string> {
    let commit: string;
    try {
      const info = await modelInfo({ name: this.repo, revision: this.revision, additionalFields: ['sha'], ...this.credentials });
      commit = String(info.sha);
    } catch (error) {
      if (error instanceof HubApiError) throw this.failure(error);
      const reason = `the hub at ${this.settings.endpoint} is unreachable (${describeCause(error)})`;
      const dir = await cachedSnapshot(this.repo, this.settings, reason, error);
      this.log(`${reason}; using the cached snapshot ${dir}`);
      return dir;
    }
    await writeRef(this.folder, this.revision, commit);
    const listed = new Map<string, ListFileEntry>();
    try {
      for await (const entry of listFiles({ repo: { type: 'model', name: this.repo }, revision: commit, ...this.credentials })) {
        if (entry.type === 'file') listed.set(entry.path, entry);
      }
    } catch (error) {
      throw this.failure(error);
    }
    const weights = WEIGHT_FILES.find((name) => listed.has(name));
    if (!listed.has('config.json') || weights === undefined) {
      const missing = [listed.has('config.json') ? undefined : 'config.json', weights === undefined ? `weights (one of ${WEIGHT_FILES.join(', ')})` : undefined];
      throw new HubError('HUB_FILE_NOT_FOUND', this.repo, `${this.repo} at ${this.settings.endpoint} (revision ${this.revision}) has no ${missing.filter(Boolean).join(' and no ')}; it is not a transformers model repo tunefleet can load`);
    }
    for (const path of ['config.json', weights, ...HUB_TOKENIZER_FILES.filter((name) => listed.has(name))]) {
      await this.fetch(commit, path, listed.get(path));
    }
    if (isShardIndex(weights)) {
      const weightMap = await readWeightMap(join(snapshotDir(this.folder, commit), weights));
      for (const shard of shardFiles(weightMap)) await this.fetch(commit, shard, listed.get(shard));
    }
    return snapshotDir(this.folder, commit);
  }

  private async fetch(commit: string, path: string, entry: ListFileEntry | undefined): Promise<void> {
    if (await hasSnapshotFile(this.folder, commit, path)) return;
    if (entry === undefined) throw this.missingFile(path);
    const etag = entry.lfs?.oid ?? entry.xetHash ?? entry.oid;
    if (etag === undefined || !/^[\w.-]+$/.test(etag)) {
      throw new HubError('HUB_DOWNLOAD_FAILED', this.repo, `${this.repo}/${path}: the hub gave no usable etag (${JSON.stringify(etag)}) in its file listing`);
    }
    this.log(`downloading ${this.repo}/${path} (${formatBytes(entry.lfs?.size ?? entry.size)}) from ${this.settings.endpoint}`);
    try {
      await storeFile(this.folder, commit, path, etag, async (incomplete) => {
        const blob = await downloadFile({ repo: { type: 'model', name: this.repo }, path, revision: commit, ...this.credentials });
        if (blob === null) throw this.missingFile(path);
        await pipeline(Readable.fromWeb(blob.stream() as WebReadableStream), createWriteStream(incomplete));
      });
    } catch (error) {
      throw error instanceof HubError ? error : this.failure(error, path);
    }
  }

  private missingFile(path: string): HubError {
    return new HubError('HUB_FILE_NOT_FOUND', this.repo, `${this.repo} has no file ${path} at revision ${this.revision} (${this.settings.endpoint}); the hub answered 404`);
  }

  /** A hub answer or network failure as a HubError naming the repo (and the file, when one was being fetched). */
  private failure(error: unknown, path?: string): HubError {
    const where = `${this.settings.endpoint}${path === undefined ? '' : ` (file ${path})`}`;
    if (error instanceof HubApiError) {
      const status = error.statusCode;
      if (status === 404 && path !== undefined) return this.missingFile(path);
      if (status === 404 || (status === 401 && this.settings.token === undefined)) {
        return new HubError('HUB_REPO_NOT_FOUND', this.repo, `${this.repo}: repository not found at ${where} (HTTP ${status}); check the name, or set HF_TOKEN if it is private or gated`, { cause: error });
      }
      if (status === 401 || status === 403) {
        return new HubError('HUB_UNAUTHORIZED', this.repo, `${this.repo}: the hub at ${where} refused the token (HTTP ${status}); check HF_TOKEN and that it may read this repo (gated repos need their terms accepted)`, { cause: error });
      }
      return new HubError('HUB_DOWNLOAD_FAILED', this.repo, `${this.repo}: the hub at ${where} answered HTTP ${status}: ${error.message}`, { cause: error, isRetryable: status >= 500 });
    }
    if (error instanceof HubError) return error;
    return new HubError('HUB_UNREACHABLE', this.repo, `${this.repo}: the download from ${where} failed (${describeCause(error)})`, { cause: error, isRetryable: true });
  }
}

/**
 * The cached snapshot of `repo` when it is complete (config.json and its weights, every shard of a
 * sharded checkpoint); otherwise an error that gives `reason` and names what the cache lacks.
 */
async function cachedSnapshot(repo: string, settings: HubSettings, reason: string, cause?: unknown): Promise<string> {
  const folder = repoFolder(settings.cacheDir, repo);
  const revision = settings.revision ?? DEFAULT_REVISION;
  const code = cause === undefined ? 'HUB_NOT_CACHED' : 'HUB_UNREACHABLE';
  const fail = (missing: string): never => {
    throw new HubError(code, repo, `${reason}, and the cache ${settings.cacheDir} lacks ${missing} of ${repo}; run once online (unset HF_HUB_OFFLINE) or pass a local model directory`, {
      cause,
      isRetryable: code === 'HUB_UNREACHABLE',
    });
  };
  const commit = await readRef(folder, revision);
  if (commit === undefined) return fail(`refs/${revision} (nothing was downloaded for it into ${folder})`);
  const missing: string[] = [];
  if (!(await hasSnapshotFile(folder, commit, 'config.json'))) missing.push('config.json');
  let weights: string | undefined;
  for (const name of WEIGHT_FILES) {
    if (await hasSnapshotFile(folder, commit, name)) {
      weights = name;
      break;
    }
  }
  if (weights === undefined) missing.push(`the weights (one of ${WEIGHT_FILES.join(', ')})`);
  else if (isShardIndex(weights)) {
    const weightMap = await readWeightMap(join(snapshotDir(folder, commit), weights));
    for (const shard of shardFiles(weightMap)) if (!(await hasSnapshotFile(folder, commit, shard))) missing.push(shard);
  }
  if (missing.length > 0) return fail(`${missing.join(', ')} in snapshots/${commit}`);
  return snapshotDir(folder, commit);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${bytes} bytes`;
}
