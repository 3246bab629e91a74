// One chaos trial: a 3-worker job on a local cluster of real processes, with faults injected at
// random (seeded) steps: kill -9 of a worker (a fresh one is started in its place, and joins at the
// next checkpoint), kill -9 of the coordinator (restarted with the same --db and port), and SIGSTOP
// of a worker for longer than the collective deadline. Afterwards the job's sample ledger is
// checked by id: every training row of every epoch exactly once.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCoordinatorClient } from '@tunefleet/coordinator';
import { mulberry32 } from '@tunefleet/core';
import { GradientDtype, JobSpec, JobState } from '@tunefleet/proto';
import { checkLedgerFile, type LedgerReport } from '../../apps/coordinator/src/sample-ledger.ts';
import { ChaosCluster, isAlive, isStopped, sleep } from './chaos-cluster.ts';
import type { ChaosFixture } from './chaos-fixture.ts';

/**
 * `stop-worker`: SIGSTOP past the collective deadline, then SIGCONT; `stop-worker-forever`: SIGSTOP
 * and never SIGCONT (the survivors must finish without it; teardown SIGKILLs it as it is).
 */
export type FaultKind = 'kill-worker' | 'kill-coordinator' | 'stop-worker' | 'stop-worker-forever';
export const FAULT_KINDS: readonly FaultKind[] = ['kill-worker', 'kill-coordinator', 'stop-worker', 'stop-worker-forever'];

export interface ChaosJob {
  readonly workers: number;
  readonly perDeviceBatch: number;
  readonly epochs: number;
  readonly saveSteps: number;
  readonly collectiveTimeoutMs: number;
}

export const DEFAULT_CHAOS_JOB: ChaosJob = { workers: 3, perDeviceBatch: 4, epochs: 3, saveSteps: 3, collectiveTimeoutMs: 4_000 };

export interface InjectedFault {
  readonly kind: FaultKind;
  /** The job's global step when it was injected. */
  readonly step: number;
  readonly target: string;
}

export interface TrialResult {
  readonly trial: number;
  readonly faults: readonly InjectedFault[];
  readonly state: JobState;
  readonly errorMessage: string;
  readonly globalStep: number;
  readonly maxSteps: number;
  /** The training loss logged at the last step (logging_steps 1), from trainer_state.json. */
  readonly finalLoss: number | undefined;
  readonly restarts: number;
  readonly ledger: LedgerReport | undefined;
  readonly seconds: number;
}

export interface TrialOptions {
  readonly trial: number;
  /** The faults' kinds and steps come from this. */
  readonly seed: number;
  /** 0 for the uninterrupted baseline. */
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
  readonly job?: ChaosJob;
  readonly fixture: ChaosFixture;
  readonly dir: string;
  readonly token: string;
  /** The whole trial gives up after this. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export function stepsOf(job: ChaosJob, rows: number): number {
  return Math.ceil(rows / (job.perDeviceBatch * job.workers)) * job.epochs;
}

export async function runTrial(options: TrialOptions): Promise<TrialResult> {
  const job = options.job ?? DEFAULT_CHAOS_JOB;
  const log = options.log ?? (() => {});
  const startedAt = Date.now();
  const dir = join(options.dir, `trial-${options.trial}`);
  await mkdir(dir, { recursive: true });
  const outputDir = join(dir, 'out');
  const maxSteps = stepsOf(job, options.fixture.trainRows);
  const plan = planFaults(options.seed, options.faults, maxSteps, job.saveSteps, options.kinds ?? FAULT_KINDS);
  const cluster = await ChaosCluster.start({ dir, token: options.token });
  const client = createCoordinatorClient(cluster.address, options.token);
  const injected: InjectedFault[] = [];
  try {
    for (let i = 0; i < job.workers; i++) cluster.startWorker();
    const submitted = await client.submitJob(chaosSpec(`chaos-${options.trial}`, job, options.fixture, outputDir));
    let step = 0;
    let state = submitted.state;
    const watched = client.watchJob(submitted.jobId, (progress) => {
      step = progress.globalStep;
      state = progress.state;
    });
    let final: Awaited<typeof watched> | undefined;
    void watched.then((job) => (final = job)).catch(() => undefined);
    const deadline = startedAt + (options.timeoutMs ?? 300_000);
    for (const fault of plan) {
      // Each fault lands on a running ring at (or after) its step; a resumed ring may redo steps.
      while (final === undefined && !(state === JobState.JOB_STATE_RUNNING && step >= fault.step) && Date.now() < deadline) await sleep(50);
      if (final !== undefined || Date.now() >= deadline) break;
      const target = await inject(cluster, fault.kind, job, mulberry32(options.seed + 7919 * fault.step), log);
      injected.push({ kind: fault.kind, step, target });
      log(`trial ${options.trial}: ${describeFault({ kind: fault.kind, step, target })}`);
    }
    const remaining = Math.max(1, deadline - Date.now());
    const ended = await Promise.race([watched, sleep(remaining).then(() => undefined)]);
    if (ended === undefined) throw new Error(`the job did not finish within ${options.timeoutMs ?? 300_000} ms (state ${JobState[state]}, step ${step})`);
    // Workers exit by themselves after a job; give them a moment before the check for leftovers.
    const until = Date.now() + 15_000;
    while (cluster.liveWorkers().some((w) => !isStopped(w.pid)) && Date.now() < until) await sleep(100);
    const trainerState = await readJson(join(outputDir, 'trainer_state.json'));
    const history = (trainerState?.['log_history'] ?? []) as Record<string, number>[];
    const last = [...history].reverse().find((entry) => typeof entry['loss'] === 'number');
    const fullEpochs = new Set(Array.from({ length: job.epochs }, (_, epoch) => epoch));
    return {
      trial: options.trial,
      faults: injected,
      state: ended.state,
      errorMessage: ended.errorMessage,
      globalStep: Number(trainerState?.['global_step'] ?? ended.progress?.globalStep ?? 0),
      maxSteps,
      finalLoss: last?.['loss'],
      restarts: ended.progress?.restarts ?? 0,
      ledger: checkLedgerFile(cluster.dbPath, ended.jobId, options.fixture.trainRows, fullEpochs),
      seconds: (Date.now() - startedAt) / 1000,
    };
  } finally {
    client.close();
    await cluster.stop();
  }
}

/** The faults of one trial: kinds drawn from `kinds`, steps spread over the job after its first checkpoint. */
export function planFaults(seed: number, count: number, maxSteps: number, saveSteps: number, kinds: readonly FaultKind[]): { kind: FaultKind; step: number }[] {
  const random = mulberry32(seed);
  const first = saveSteps + 1;
  const last = Math.max(first, maxSteps - 2);
  const faults = Array.from({ length: count }, () => ({ kind: kinds[Math.floor(random() * kinds.length)]!, step: first + Math.floor(random() * (last - first + 1)) }));
  return faults.sort((a, b) => a.step - b.step);
}

async function inject(cluster: ChaosCluster, kind: FaultKind, job: ChaosJob, random: () => number, log: (line: string) => void): Promise<string> {
  if (kind === 'kill-coordinator') {
    const downMs = Math.floor(random() * 1_500);
    await cluster.restartCoordinator(downMs);
    return `the coordinator (down ${downMs} ms)`;
  }
  const candidates = cluster.liveWorkers().filter((w) => !isStopped(w.pid) && w.lines.some((line) => / rank \d+ of \d+/.test(line)));
  if (candidates.length === 0) return 'no worker (none in a ring)';
  const victim = candidates[Math.floor(random() * candidates.length)]!;
  if (kind === 'kill-worker') {
    process.kill(victim.pid, 'SIGKILL');
    // A replacement registers now and joins the job at its next re-formation or checkpoint.
    cluster.startWorker();
    return `${victim.name} (pid ${victim.pid})`;
  }
  process.kill(victim.pid, 'SIGSTOP');
  // The signal lands asynchronously: wait for it, so the next fault's choice of victim sees it stopped.
  for (const until = Date.now() + 1_000; !isStopped(victim.pid) && isAlive(victim.pid) && Date.now() < until; ) await sleep(10);
  if (kind === 'stop-worker-forever') return `${victim.name} (pid ${victim.pid}), never continued`;
  const stopMs = job.collectiveTimeoutMs + 2_000;
  setTimeout(() => {
    if (!isAlive(victim.pid)) return;
    process.kill(victim.pid, 'SIGCONT');
    log(`${victim.name} continued after ${stopMs} ms`);
  }, stopMs).unref();
  return `${victim.name} (pid ${victim.pid}) for ${stopMs} ms`;
}

export function describeFault(fault: InjectedFault): string {
  const what = fault.kind === 'kill-worker' ? 'kill -9' : fault.kind === 'kill-coordinator' ? 'kill -9 + restart' : fault.kind === 'stop-worker' ? 'SIGSTOP' : 'SIGSTOP forever';
  return `${what} ${fault.target} at step ${fault.step}`;
}

export function chaosSpec(name: string, job: ChaosJob, fixture: ChaosFixture, outputDir: string): JobSpec {
  // fromPartial: every field this file does not name gets its wire default.
  return JobSpec.fromPartial({
    name,
    modelNameOrPath: fixture.modelDir,
    task: 'sequence-classification',
    trainFile: fixture.trainFile,
    validationFile: '',
    worldSize: job.workers,
    minWorkers: 1,
    maxWorkers: job.workers,
    maxRestarts: 20,
    minWorkersTimeoutMs: 60_000,
    trainingArgumentsJson: JSON.stringify({
      output_dir: outputDir,
      per_device_train_batch_size: job.perDeviceBatch,
      num_train_epochs: job.epochs,
      learning_rate: 5e-3,
      logging_steps: 1,
      save_strategy: 'steps',
      save_steps: job.saveSteps,
      seed: 7,
      disable_tqdm: true,
    }),
    gradientDtype: GradientDtype.GRADIENT_DTYPE_F32,
    collectiveTimeoutMs: job.collectiveTimeoutMs,
    maxSeqLength: 16,
  });
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
