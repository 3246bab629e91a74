import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HUB_ENDPOINT, hfHomeDir, hubCacheDir, isTrueValue, resolveModel, type HubSettings } from '@tunefleet/model';
import type { TrainConfig } from './run-config.ts';

/**
 * The hub settings from the environment, as huggingface_hub reads them: HF_ENDPOINT, HF_HUB_CACHE /
 * HF_HOME (cache), HF_HUB_OFFLINE, and HF_TOKEN, else the token file `huggingface-cli login` wrote
 * (HF_TOKEN_PATH, default $HF_HOME/token). Apps alone read the environment; the library takes these.
 */
export function hubSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env, homeDir = homedir()): HubSettings {
  const paths = { hubCache: env['HF_HUB_CACHE'], hfHome: env['HF_HOME'], xdgCacheHome: env['XDG_CACHE_HOME'], homeDir };
  const endpoint = (env['HF_ENDPOINT'] || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  const token = env['HF_TOKEN'] || readTokenFile(env['HF_TOKEN_PATH'] || join(hfHomeDir(paths), 'token'));
  return { endpoint, cacheDir: hubCacheDir(paths), isOffline: isTrueValue(env['HF_HUB_OFFLINE']), ...(token ? { token } : {}) };
}

function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** `--model`: a local directory as it is, a hub repo id (`ORG/NAME`, `NAME`) as its snapshot in the Hugging Face cache. */
export function resolveModelArgument(nameOrPath: string, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  return resolveModel(nameOrPath, hubSettingsFromEnvironment(), { log });
}

/** A train configuration whose model is a local directory (a hub id is downloaded first, before any worker starts). */
export async function withLocalModel(config: TrainConfig): Promise<TrainConfig> {
  const dir = await resolveModelArgument(config.run.model_name_or_path);
  if (dir === config.run.model_name_or_path) return config;
  return { ...config, run: Object.freeze({ ...config.run, model_name_or_path: dir }) };
}
