import { initBackend } from '@tunefleet/compute';

type BackendChoice = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

/** Starts the compute backend; initBackend's log prints which one is in use (the issue asks for it at start). */
export async function startBackend(options: { backend?: string; threads?: number }): Promise<string> {
  const info = await initBackend({
    backend: (options.backend ?? 'auto') as BackendChoice,
    threads: options.threads,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return info.name;
}
