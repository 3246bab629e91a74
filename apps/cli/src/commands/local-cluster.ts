import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoordinatorClient, startCoordinator, type CoordinatorClientApi, type RunningCoordinator } from '@tunefleet/coordinator';
import { JobState, type Job, type JobProgress } from '@tunefleet/proto';
import type { LogEntry } from '@tunefleet/report';
import type { RunSpec } from '@tunefleet/run';
import { createJobProgressView, type JobProgressView } from '../cluster/job-progress-view.ts';
import { localJobSpec } from '../cluster/local-job-spec.ts';
import { allowedCores, bindCores, LocalWorkers, type WorkerExit } from '../cluster/worker-processes.ts';
import type { TrainProcessOptions } from '../process-options.ts';
import { createProgressReporter, type ProgressReporter } from '../progress.ts';
import { writeRunReport } from '../ui/run-report.ts';

export interface LocalClusterInput {
  readonly run: RunSpec;
  /** Backend and threads of each worker, and the job's gradient dtype, collective timeout and core binding. */
  readonly options: TrainProcessOptions;
  readonly workers: number;
  /** Where the configuration came from, for messages. */
  readonly source: string;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type SignalName = keyof typeof SIGNAL_EXIT_CODES;
// After the job succeeds, workers finish by themselves within this (rank 1 may still be evaluating).
const WORKER_FINISH_MS = 10_000;
// SIGTERM makes a worker leave its ring at once; this covers a step in flight.
const WORKER_TERM_GRACE_MS = 5_000;
// A worker reports its failure before it exits; give the job's FAILED this long to arrive.
const FAILURE_REPORT_MS = 2_000;

interface Interrupted {
  readonly kind: 'signal';
  readonly signal: SignalName;
}
type Outcome = { readonly kind: 'job'; readonly job: Job } | Interrupted | { readonly kind: 'worker-exit'; readonly exit: WorkerExit };

/**
 * `tunefleet train --workers N`: the single-process run's job on N data-parallel worker processes of
 * this machine. An embedded coordinator (127.0.0.1, a free port, a temporary SQLite file, a random
 * token) schedules N `tunefleet worker` processes; the job's progress is shown like `train` shows its
 * own. Every worker is gone when this returns: on success, on failure and on SIGINT/SIGTERM (and a
 * process 'exit' handler SIGKILLs any left; workers also leave when this process's pipe to them ends).
 * 0 only when the job SUCCEEDED.
 */
export async function runLocalCluster(input: LocalClusterInput): Promise<number> {
  const { run, options } = input;
  const args = run.training_arguments;
  const spec = localJobSpec(run, options, input.workers, input.source);
  const cores = options.bind_cores ? bindCores(input.workers, options.threads, allowedCores(), input.source) : undefined;
  const progress = createProgressReporter({ isTty: Boolean(process.stderr.isTTY), disableBar: args.disable_tqdm, out: process.stdout, err: process.stderr });
  const dir = await mkdtemp(join(tmpdir(), 'tunefleet-local-'));
  const token = randomBytes(24).toString('hex');
  let coordinator: RunningCoordinator | undefined;
  let client: CoordinatorClientApi | undefined;
  let workers: LocalWorkers | undefined;
  let signalled: SignalName | undefined;
  let isSucceeded = false;
  // What report.html is written from: the job, rank 0's log entries and every rank's latest figures.
  let jobId: string | undefined;
  let view: JobProgressView | undefined;
  let lastProgress: JobProgress | undefined;
  let failure = '';
  let onSignal: (signal: SignalName) => void = (signal) => (signalled = signal);
  const handlers = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };
  const killOnExit = (): void => workers?.killNow();
  process.on('SIGINT', handlers.SIGINT);
  process.on('SIGTERM', handlers.SIGTERM);
  process.on('exit', killOnExit);
  try {
    coordinator = await startCoordinator({
      host: '127.0.0.1',
      port: 0,
      dbPath: join(dir, 'jobs.db'),
      token,
      ...(options.ui_port === undefined ? {} : { ui: { host: options.ui_host, port: options.ui_port } }),
      ...(options.metrics_port === undefined ? {} : { metrics: { host: options.metrics_host, port: options.metrics_port } }),
      log: () => {},
    });
    if (coordinator.metrics) progress.message(`coordinator: serving Prometheus metrics on http://${coordinator.metrics.address}/metrics`);
    if (coordinator.ui) progress.message(`live page on ${coordinator.ui.url} (bound to ${options.ui_host}); open once: ${coordinator.ui.startUrl}`);
    workers = new LocalWorkers({
      count: input.workers,
      coordinator: coordinator.address,
      token,
      backend: options.backend,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(cores !== undefined ? { cores } : {}),
      // Worker k on --metrics-port + 1 + k (0: each on a free port, printed in its log line).
      ...(options.metrics_port === undefined ? {} : { metrics: { host: options.metrics_host, basePort: options.metrics_port } }),
      cwd: process.cwd(),
      onLine: (index, line) => progress.message(`worker ${index}: ${line.replace(/^\[worker\] /, '')}`),
    });
    progress.message(`local cluster: coordinator ${coordinator.address}, ${input.workers} worker processes`);
    workers.pids.forEach((pid, index) => progress.message(`started worker ${index} of ${input.workers} (pid ${pid}${workers!.coresOf(index)})`));
    client = createCoordinatorClient(coordinator.address, token);
    const interrupted = new Promise<Interrupted>((resolve) => {
      if (signalled !== undefined) resolve({ kind: 'signal', signal: signalled });
      onSignal = (signal) => {
        if (signalled !== undefined) {
          killOnExit(); // a second Ctrl-C: no more waiting
          process.exit(SIGNAL_EXIT_CODES[signal]);
        }
        signalled = signal;
        resolve({ kind: 'signal', signal });
      };
    });
    const submitted = client.submitJob(spec);
    submitted.catch(() => undefined); // still raced below; a late rejection after Ctrl-C is not a crash
    const job = await Promise.race([submitted, interrupted]);
    if ('kind' in job) return await interrupt(job.signal, progress, client, undefined);
    jobId = job.jobId;
    const jobView = (view = createJobProgressView(progress));
    const onUpdate = (update: JobProgress): void => {
      lastProgress = update;
      jobView.onProgress(update);
    };
    const watched = client.watchJob(job.jobId, onUpdate).then((final): Outcome => ({ kind: 'job', job: final }));
    watched.catch(() => undefined); // the stream breaks when the coordinator stops after Ctrl-C
    // Once the outcome is known, workers exit because this command stops them: no "the job goes on".
    let isEnding = false;
    const onWorkerLost = (exit: WorkerExit): void => {
      if (!isEnding) progress.message(describeLostWorker(exit));
    };
    const outcome = await Promise.race([watched, interrupted, workers.allGone(onWorkerLost).then((exit): Outcome => ({ kind: 'worker-exit', exit }))]);
    isEnding = true;
    if (outcome.kind === 'signal') return await interrupt(outcome.signal, progress, client, job.jobId);
    const final = outcome.kind === 'job' ? outcome.job : await afterWorkerExit(outcome.exit, watched, client, job.jobId);
    progress.stop();
    if (final?.progress !== undefined && final.progress.ranks.length > 0) lastProgress = final.progress;
    if (final === undefined) {
      failure = 'a worker process exited before the job finished (see its last output above)';
      return 1;
    }
    if (final.state !== JobState.JOB_STATE_SUCCEEDED) {
      failure = `the job ${JobState[final.state]}: ${final.errorMessage || 'no reason given'}`;
      process.stderr.write(`tunefleet: the job ${JobState[final.state]}: ${final.errorMessage || 'no reason given'}\n`);
      return 1;
    }
    isSucceeded = true;
    const trainEntry = [...jobView.logEntries].reverse().find((entry) => typeof entry['train_loss'] === 'number');
    const loss = trainEntry === undefined ? '' : `, train_loss ${(trainEntry['train_loss'] as number).toFixed(4)}`;
    const allReduceSeconds = (final.progress?.allreduceMs ?? 0) / 1000;
    const allReduceMb = (final.progress?.allreduceBytes ?? 0) / 1e6;
    process.stderr.write(
      `training done on ${input.workers} workers: ${final.progress?.globalStep ?? 0} steps${loss}, ` +
        `all-reduce ${allReduceSeconds.toFixed(1)} s for ${allReduceMb.toFixed(2)} MB (rank 0); model in ${args.output_dir}\n`,
    );
    return 0;
  } finally {
    progress.stop();
    // Workers first (they stop heartbeating a coordinator that is about to go), then the coordinator.
    // After a success they finish by themselves; otherwise SIGTERM makes them leave the ring now.
    await workers?.stop(isSucceeded ? WORKER_FINISH_MS : 0, WORKER_TERM_GRACE_MS);
    if (jobId !== undefined) {
      // After the workers are gone: nothing else writes into the output directory any more.
      const state = isSucceeded ? 'succeeded' : signalled !== undefined ? 'cancelled' : 'failed';
      await writeRunReport(
        {
          outputDir: args.output_dir,
          title: `${jobId} (${input.workers} workers)`,
          state,
          ...(failure === '' ? {} : { errorMessage: failure }),
          configuration: { ...run, workers: input.workers, gradient_dtype: options.gradient_dtype, collective_timeout_ms: options.collective_timeout_ms },
          seenLogHistory: (view?.logEntries ?? []) as readonly LogEntry[],
          ranks: (lastProgress?.ranks ?? []).map((r) => ({ rank: r.rank, workerId: r.workerId, globalStep: r.globalStep, stepSeconds: r.stepSeconds, allreduceMs: r.allreduceMs })),
        },
        (line) => process.stderr.write(`${line}\n`),
      );
    }
    client?.close();
    await coordinator?.stop();
    process.off('SIGINT', handlers.SIGINT);
    process.off('SIGTERM', handlers.SIGTERM);
    process.off('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
  }
}

async function interrupt(signal: SignalName, progress: ProgressReporter, client: CoordinatorClientApi, jobId: string | undefined): Promise<number> {
  progress.stop();
  process.stderr.write(`tunefleet: ${signal}: cancelling the job and stopping the workers\n`);
  if (jobId !== undefined) await client.cancelJob(jobId).catch(() => undefined); // the workers go anyway
  return SIGNAL_EXIT_CODES[signal];
}

/** A worker died mid-job: the coordinator re-forms the ring with the others (min_workers permitting). */
function describeLostWorker(exit: WorkerExit): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `worker ${exit.index} (pid ${exit.pid}) ${how}; the job goes on with the other workers if it can`;
}

/**
 * Every worker process died before the job ended. It reports its own failures first, so the job's FAILED
 * (with the reason) is usually on its way; otherwise (a crash, a kill) the exit itself is the reason.
 */
async function afterWorkerExit(exit: WorkerExit, watched: Promise<Outcome>, client: CoordinatorClientApi, jobId: string): Promise<Job | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FAILURE_REPORT_MS).unref());
  const outcome = await Promise.race([watched, timeout]);
  if (outcome !== undefined && outcome.kind === 'job') return outcome.job;
  await client.cancelJob(jobId).catch(() => undefined);
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.tail.length > 0 ? `; its last output:\n  ${exit.tail.join('\n  ')}` : '';
  process.stderr.write(`tunefleet: worker ${exit.index} (pid ${exit.pid}) ${how} before the job finished${tail}\n`);
  return undefined;
}
