import { initBackend } from '@tunefleet/compute';
import { CliConfigError } from './cli-config-error.ts';

type BackendChoice = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

/**
 * TUNEFLEET_POOL_MB, the native backend's output pool bound in megabytes (0 turns reuse off), read
 * here at the edge and passed down through initBackend; unset or empty: the backend's default.
 */
export function poolMbFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env['TUNEFLEET_POOL_MB'];
  if (text === undefined || text.trim() === '') return undefined;
  const mb = Number(text);
  if (!Number.isFinite(mb) || mb < 0) {
    throw new CliConfigError(`TUNEFLEET_POOL_MB="${text}": the native output pool size must be a number of megabytes >= 0 (unset it for the default)`);
  }
  return mb;
}

/** Starts the compute backend; initBackend's log prints which one is in use (the issue asks for it at start). */
export async function startBackend(options: { backend?: string; threads?: number }): Promise<string> {
  const info = await initBackend({
    backend: (options.backend ?? 'auto') as BackendChoice,
    threads: options.threads,
    poolMb: poolMbFromEnv(),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return info.name;
}
