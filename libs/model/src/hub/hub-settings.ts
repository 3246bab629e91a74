import { join } from 'node:path';

/** Where and how `--model ORG/NAME` is fetched; built from the environment by the CLI (libraries never read it). */
export interface HubSettings {
  /** HF_ENDPOINT: the hub's base URL. */
  readonly endpoint: string;
  /** The cache in Hugging Face's layout (`models--ORG--NAME/{blobs,refs,snapshots}`), shared with Python's huggingface_hub. */
  readonly cacheDir: string;
  /** HF_HUB_OFFLINE: use the cache only, never the network. */
  readonly isOffline: boolean;
  /** HF_TOKEN (or the token file huggingface-cli login wrote): sent as `Authorization: Bearer`. */
  readonly token?: string;
  /** Revision to resolve; Hugging Face's default branch. */
  readonly revision?: string;
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** huggingface_hub's rule: HF_HUB_CACHE, else HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(paths: { hubCache?: string; hfHome?: string; xdgCacheHome?: string; homeDir: string }): string {
  if (nonEmpty(paths.hubCache)) return paths.hubCache;
  return join(hfHomeDir(paths), 'hub');
}

/** HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (where the `token` file lives too). */
export function hfHomeDir(paths: { hfHome?: string; xdgCacheHome?: string; homeDir: string }): string {
  if (nonEmpty(paths.hfHome)) return paths.hfHome;
  return join(nonEmpty(paths.xdgCacheHome) ? paths.xdgCacheHome : join(paths.homeDir, '.cache'), 'huggingface');
}

/** huggingface_hub's boolean environment values: 1, ON, YES, TRUE (any case). */
export function isTrueValue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
