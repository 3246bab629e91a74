import { runWorker, type WorkerTlsFiles } from '@tunefleet/worker';
import type { BackendChoice } from '@tunefleet/compute';
import { CliConfigError } from '../cli-config-error.ts';
import { resolveToken, type ClusterAuthOptions } from './cluster.ts';
import { poolMbFromEnv } from '../backend.ts';
import type { MetricsOptions } from '../process-options.ts';

export interface WorkerCommandOptions extends ClusterAuthOptions {
  coordinator: string;
  host?: string;
  /** --port: the collective server's port (0: any free one). */
  port?: number;
  advertiseHost?: string;
  workerId?: string;
  backend?: string;
  threads?: number;
  connectTimeoutMs?: number;
  /** Set by `train --workers`: stdin is a pipe from the parent; its end (the parent died) aborts. */
  stopOnStdinEnd?: boolean;
  /** --metrics-port/--metrics-host: this rank's /metrics. */
  metrics?: MetricsOptions;
}

// Exit codes of a run ended by a signal, as a shell reports them (128 + signal number).
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * `tunefleet worker`: one worker process for one job (apps/coordinator/README.md, "Worker
 * protocol"). SIGINT/SIGTERM abort it cleanly (ring left, servers closed); a second signal exits at once.
 */
export async function runWorkerCommand(options: WorkerCommandOptions): Promise<number> {
  const token = resolveToken(options);
  const tls = workerTls(options);
  const controller = new AbortController();
  let signalName: keyof typeof SIGNAL_EXIT_CODES | undefined;
  const onSignal = (name: keyof typeof SIGNAL_EXIT_CODES) => (): void => {
    if (signalName !== undefined) process.exit(SIGNAL_EXIT_CODES[name]); // second Ctrl-C: do not wait
    signalName = name;
    process.stderr.write(`[worker] ${name}: leaving the job\n`);
    controller.abort();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  const onStdinEnd = (): void => {
    if (controller.signal.aborted) return;
    process.stderr.write('[worker] the parent process is gone: leaving the job\n');
    signalName = 'SIGTERM';
    controller.abort();
  };
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  if (options.stopOnStdinEnd) {
    process.stdin.on('end', onStdinEnd).on('close', onStdinEnd).on('error', onStdinEnd);
    process.stdin.resume();
  }
  try {
    const result = await runWorker({
      coordinator: options.coordinator,
      token,
      ...(options.workerId ? { workerId: options.workerId } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.advertiseHost ? { advertiseHost: options.advertiseHost } : {}),
      ...(tls ? { tls } : {}),
      backend: (options.backend ?? 'auto') as BackendChoice,
      ...(options.threads ? { threads: options.threads } : {}),
      poolMb: poolMbFromEnv(),
      ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.metrics?.metrics_port === undefined ? {} : { metrics: { host: options.metrics.metrics_host, port: options.metrics.metrics_port } }),
      // TUNEFLEET_SHARED_MEMORY=0: every chunk through the socket, even to a neighbour on this machine.
      sharedMemory: process.env['TUNEFLEET_SHARED_MEMORY'] !== '0',
      signal: controller.signal,
      log: (line) => process.stderr.write(`[worker] ${line}\n`),
    });
    if (signalName !== undefined) return SIGNAL_EXIT_CODES[signalName];
    if (result.reason) process.stderr.write(`[worker] exit ${result.exitCode}: ${result.reason}\n`);
    return result.exitCode;
  } finally {
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    if (options.stopOnStdinEnd) {
      process.stdin.off('end', onStdinEnd).off('close', onStdinEnd).off('error', onStdinEnd);
      process.stdin.destroy(); // an open stdin would keep the process alive
    }
  }
}

function workerTls(options: WorkerCommandOptions): WorkerTlsFiles | undefined {
  const given = [options.tlsCa, options.tlsCert, options.tlsKey].filter((file) => file !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) {
    throw new CliConfigError('worker TLS needs all of --tls-ca, --tls-cert and --tls-key (the CA of the coordinator and peers, and this worker\'s certificate and key)');
  }
  return { caFile: options.tlsCa!, certFile: options.tlsCert!, keyFile: options.tlsKey! };
}
