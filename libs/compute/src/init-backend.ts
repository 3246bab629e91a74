import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { tryRegisterNativeBackend } from '@tunefleet/native-kernels';
import { BackendError } from './backend-error.ts';
import { registerGradients } from './gradients/register-gradients.ts';
import { installExtraKernels } from './kernel-registry.ts';

export type BackendChoice = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'];

export interface InitBackendOptions {
  backend?: BackendChoice;
  /** Threads for backends that take a count (native); undefined lets the backend decide. */
  threads?: number;
  /**
   * The native backend's output pool bound in megabytes (released outputs kept for reuse; 0 turns
   * reuse off); undefined: min(4 GiB, a quarter of the memory). Apps read it from TUNEFLEET_POOL_MB.
   */
  poolMb?: number;
  log?: (line: string) => void;
}

export interface BackendInfo {
  /** The tfjs backend name now active (`tensorflow`, `native`, `wasm`, `cpu`). */
  name: string;
  detail: string;
}

/** What one attempt returns: started (with a detail line) or why not. */
type Attempt = { ok: true; detail: string } | { ok: false; reason: string };
type Starter = (options: InitBackendOptions) => Promise<Attempt>;

/** Auto order: fastest first. */
const AUTO_ORDER = ['tensorflow', 'native', 'wasm', 'cpu'] as const;
type ConcreteBackend = (typeof AUTO_ORDER)[number];

/** Test seam (not exported from index.ts): replace how a backend starts, to simulate failures. */
export const backendStarters: Record<ConcreteBackend, Starter> = {
  tensorflow: startTensorflow,
  native: startNative,
  wasm: startWasm,
  cpu: startCpu,
};

/**
 * Starts a tfjs backend. `auto` tries tensorflow > native > wasm > cpu and logs why each skipped one
 * could not start; an explicitly named backend that cannot start is a `BackendError`.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const log = options.log ?? (() => undefined);
  const choice = options.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new BackendError('BACKEND_UNKNOWN', `Unknown backend "${String(choice)}"; expected one of ${BACKEND_CHOICES.join(', ')}.`);
  }
  registerGradients(); // tfjs-core's Node build has none; autograd (tf.variableGrads) needs them
  const candidates: readonly ConcreteBackend[] = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of candidates) {
    const attempt = await startChecked(name, options);
    if (attempt.ok) {
      const extras = installExtraKernels(name);
      const detail = extras.length > 0 ? `${attempt.detail}; extra kernels: ${extras.join(', ')}` : attempt.detail;
      log(`backend: ${name} (${detail})`);
      return { name, detail };
    }
    if (choice !== 'auto') {
      throw new BackendError('BACKEND_UNAVAILABLE', `Backend "${name}" was requested but could not start: ${attempt.reason}`);
    }
    skipped.push(`${name}: ${attempt.reason}`);
    log(`backend: ${name} unavailable (${attempt.reason})`);
  }
  throw new BackendError('BACKEND_NONE', `No backend could start: ${skipped.join('; ')}`);
}

/** Runs a starter, then checks tfjs really switched: `setBackend` silently falls back to cpu. */
async function startChecked(name: ConcreteBackend, options: InitBackendOptions): Promise<Attempt> {
  let attempt: Attempt;
  try {
    attempt = await backendStarters[name](options);
  } catch (error) {
    attempt = { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  if (!attempt.ok) return attempt;
  const active = tf.getBackend();
  if (active !== name) return { ok: false, reason: `tf.setBackend("${name}") left "${active}" active` };
  return attempt;
}

async function activate(name: string): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function startTensorflow(): Promise<Attempt> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const moduleName: string = pkg; // held in a variable so neither tsc nor vite resolves it
    try {
      await import(/* @vite-ignore */ moduleName);
    } catch (error) {
      reasons.push(`${pkg} not loadable (${firstLine(error)})`);
      continue;
    }
    if (await activate('tensorflow')) return { ok: true, detail: pkg };
    reasons.push(`${pkg} loaded but tf.setBackend("tensorflow") failed`);
  }
  return { ok: false, reason: reasons.join('; ') };
}

async function startNative(options: InitBackendOptions): Promise<Attempt> {
  const registration = await tryRegisterNativeBackend({ threads: options.threads, poolMb: options.poolMb });
  if (!registration.ok) return { ok: false, reason: registration.reason };
  if (!(await activate('native'))) return { ok: false, reason: 'registered, but tf.setBackend("native") failed' };
  return { ok: true, detail: `OpenBLAS, ${registration.threads} threads` };
}

let wasmPathsSet = false;

async function startWasm(options: InitBackendOptions): Promise<Attempt> {
  const require = createRequire(import.meta.url);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The package's main is dist/tf-backend-wasm.node.js; the .wasm binaries sit beside it.
  const distDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
  if (!wasmPathsSet) {
    wasm.setWasmPaths(distDir);
    wasmPathsSet = true;
  }
  if (options.threads !== undefined) wasm.setThreadsCount(options.threads);
  if (!(await activate('wasm'))) return { ok: false, reason: `tf.setBackend("wasm") failed (binaries from ${distDir})` };
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return { ok: true, detail: `simd ${simd ? 'on' : 'off'}, threads ${wasm.getThreadsCount()}` };
}

async function startCpu(): Promise<Attempt> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await activate('cpu'))) return { ok: false, reason: 'tf.setBackend("cpu") failed' };
  return { ok: true, detail: 'plain JS' };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}
