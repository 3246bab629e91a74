// The chaos run: an uninterrupted baseline, then N trials with faults, and their figures.
import { randomBytes } from 'node:crypto';
import { mixSeed } from '@tunefleet/core';
import { JobState } from '@tunefleet/proto';
import type { ChaosFixture } from './chaos-fixture.ts';
import { describeFault, runTrial, type FaultKind, type TrialResult } from './chaos-trial.ts';

export interface ChaosOptions {
  readonly trials: number;
  readonly seed: number;
  /** Faults per trial (each trial draws 1..faults). */
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
  readonly fixture: ChaosFixture;
  readonly dir: string;
  readonly trialTimeoutMs?: number;
  /** One line per trial and fault. */
  readonly log?: (line: string) => void;
  /** Every process's output, prefixed by its name. */
  readonly verbose?: (line: string) => void;
}

export interface ChaosSummary {
  readonly seed: number;
  readonly baseline: TrialResult;
  readonly trials: readonly TrialResult[];
  readonly faultsByKind: Readonly<Record<FaultKind, number>>;
  readonly completed: number;
  /** Per epoch, summed over trials. */
  readonly lostByEpoch: readonly number[];
  readonly duplicatedByEpoch: readonly number[];
  /** Trials whose ledger has a step without a row from every rank. */
  readonly incompleteLedgers: number;
  readonly maxLossDifference: number;
  /** Every job succeeded with its full step count, nothing lost or duplicated, every ledger complete. */
  readonly isClean: boolean;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const log = options.log ?? (() => {});
  const token = randomBytes(24).toString('hex');
  const common = { fixture: options.fixture, dir: options.dir, token, ...(options.trialTimeoutMs ? { timeoutMs: options.trialTimeoutMs } : {}), ...(options.kinds ? { kinds: options.kinds } : {}) };
  const baseline = await runTrial({ ...common, trial: 0, seed: options.seed, faults: 0 });
  log(`baseline (no faults): ${describeResult(baseline)}`);
  if (baseline.state !== JobState.JOB_STATE_SUCCEEDED) throw new Error(`the uninterrupted baseline job did not succeed: ${baseline.errorMessage}`);
  const trials: TrialResult[] = [];
  for (let trial = 1; trial <= options.trials; trial++) {
    const seed = mixSeed(options.seed, trial);
    const faults = options.faults === 0 ? 0 : 1 + (seed % options.faults);
    const result = await runTrial({ ...common, trial, seed, faults, ...(options.verbose ? { log: options.verbose } : {}) }).catch(
      (error: unknown): TrialResult => ({
        trial,
        faults: [],
        state: JobState.JOB_STATE_UNSPECIFIED,
        errorMessage: (error as Error).message,
        globalStep: 0,
        maxSteps: baseline.maxSteps,
        finalLoss: undefined,
        restarts: 0,
        ledger: undefined,
        seconds: 0,
      }),
    );
    trials.push(result);
    log(`trial ${trial}: ${result.faults.map(describeFault).join('; ') || 'no fault landed'} -> ${describeResult(result, baseline.finalLoss)}`);
  }
  return summarizeTrials(options.seed, baseline, trials);
}

function summarizeTrials(seed: number, baseline: TrialResult, trials: readonly TrialResult[]): ChaosSummary {
  const faultsByKind: Record<FaultKind, number> = { 'kill-worker': 0, 'kill-coordinator': 0, 'stop-worker': 0, 'stop-worker-forever': 0 };
  const lostByEpoch: number[] = [];
  const duplicatedByEpoch: number[] = [];
  let completed = 0;
  let incompleteLedgers = 0;
  let maxLossDifference = 0;
  for (const t of trials) {
    for (const f of t.faults) faultsByKind[f.kind] += 1;
    if (t.state === JobState.JOB_STATE_SUCCEEDED && t.globalStep === t.maxSteps) completed += 1;
    for (const e of t.ledger?.epochs ?? []) {
      lostByEpoch[e.epoch] = (lostByEpoch[e.epoch] ?? 0) + e.missing;
      duplicatedByEpoch[e.epoch] = (duplicatedByEpoch[e.epoch] ?? 0) + e.duplicated;
    }
    if (t.ledger === undefined || t.ledger.incompleteSteps.length > 0 || t.ledger.epochs.length === 0) incompleteLedgers += 1;
    if (t.finalLoss !== undefined && baseline.finalLoss !== undefined) maxLossDifference = Math.max(maxLossDifference, Math.abs(t.finalLoss - baseline.finalLoss));
    else maxLossDifference = Number.POSITIVE_INFINITY;
  }
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + (b ?? 0), 0);
  const isClean = completed === trials.length && sum(lostByEpoch) === 0 && sum(duplicatedByEpoch) === 0 && incompleteLedgers === 0;
  return { seed, baseline, trials, faultsByKind, completed, lostByEpoch, duplicatedByEpoch, incompleteLedgers, maxLossDifference, isClean };
}

function describeResult(r: TrialResult, baselineLoss?: number): string {
  const state = JobState[r.state]?.replace(/^JOB_STATE_/, '') ?? String(r.state);
  const ledger =
    r.ledger === undefined
      ? 'no ledger'
      : `ledger ${r.ledger.epochs.map((e) => `epoch ${e.epoch}: ${e.samples} rows, ${e.missing} lost, ${e.duplicated} duplicated`).join('; ')}` +
        (r.ledger.incompleteSteps.length > 0 ? `; steps without every rank's rows: ${r.ledger.incompleteSteps.join(',')}` : '');
  const loss = r.finalLoss === undefined ? 'no final loss' : `final loss ${r.finalLoss.toFixed(6)}` + (baselineLoss === undefined ? '' : ` (|diff| ${Math.abs(r.finalLoss - baselineLoss).toExponential(1)})`);
  const error = r.errorMessage ? `: ${r.errorMessage}` : '';
  return `${state}${error}, step ${r.globalStep}/${r.maxSteps}, restarts ${r.restarts}, ${ledger}, ${loss}, ${r.seconds.toFixed(1)} s`;
}

/** The figures, as printed at the end of `npm run chaos` (and copied into the README). */
export function summarize(s: ChaosSummary): string[] {
  const faults = Object.values(s.faultsByKind).reduce((a, b) => a + b, 0);
  const perEpoch = (xs: readonly number[]): string => s.lostByEpoch.map((_, epoch) => `${xs[epoch] ?? 0}`).join('/');
  const seconds = s.trials.reduce((a, t) => a + t.seconds, 0);
  return [
    `chaos (seed ${s.seed}): ${s.trials.length} trials of a ${s.baseline.maxSteps}-step 3-worker job, ${seconds.toFixed(0)} s`,
    `  faults injected: ${faults} (kill -9 worker ${s.faultsByKind['kill-worker']}, kill -9 + restart coordinator ${s.faultsByKind['kill-coordinator']}, SIGSTOP worker past the deadline ${s.faultsByKind['stop-worker']}, SIGSTOP worker never continued ${s.faultsByKind['stop-worker-forever']})`,
    `  jobs completed: ${s.completed}/${s.trials.length}`,
    `  samples lost per epoch: ${perEpoch(s.lostByEpoch)}; duplicated per epoch: ${perEpoch(s.duplicatedByEpoch)}; incomplete ledgers: ${s.incompleteLedgers}`,
    `  final loss: uninterrupted ${s.baseline.finalLoss?.toFixed(6) ?? '?'}; max |difference| over trials ${s.maxLossDifference.toExponential(2)}`,
    s.isClean ? 'chaos: OK' : 'chaos: FAILED (see the trials above)',
  ];
}
