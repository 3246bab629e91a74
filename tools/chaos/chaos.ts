// `npm run chaos [-- --trials N --seed S --faults F --kinds K,...]`: many local 3-worker jobs with random
// faults (kill -9 of workers, kill -9 + restart of the coordinator, SIGSTOP past the collective
// deadline, SIGSTOP never continued),
// then the figures: trials, faults injected, jobs completed, samples lost or duplicated per epoch
// (from the coordinator's sample ledger) and the final loss against an uninterrupted run.
// Exit 1 when a job did not complete or a sample was lost or duplicated.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@tunefleet/compute';
import { writeChaosFixture } from './chaos-fixture.ts';
import { runChaos, summarize } from './chaos-run.ts';
import { FAULT_KINDS, type FaultKind } from './chaos-trial.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    faults: { type: 'string', default: '2' },
    rows: { type: 'string', default: '72' },
    /** Comma-separated fault kinds to draw from; default all (kill-worker, kill-coordinator, stop-worker, stop-worker-forever). */
    kinds: { type: 'string' },
    keep: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});
const positive = (flag: string, value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`chaos: --${flag} must be a non-negative integer, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return n;
};
const trials = positive('trials', values.trials!);
const seed = positive('seed', values.seed!);
const faults = positive('faults', values.faults!);
const rows = positive('rows', values.rows!);
const kinds = values.kinds === undefined ? undefined : values.kinds.split(',').map((k) => k.trim());
const unknown = kinds?.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k)) ?? [];
if (unknown.length > 0 || kinds?.length === 0) {
  process.stderr.write(`chaos: --kinds must name some of ${FAULT_KINDS.join(', ')}; unknown: ${unknown.join(', ') || '(none given)'}\n`);
  process.exit(2);
}

await initBackend({ backend: 'cpu' });
const dir = await mkdtemp(join(tmpdir(), 'tunefleet-chaos-'));
try {
  const fixture = await writeChaosFixture(dir, rows);
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const summary = await runChaos({ trials, seed, faults, fixture, dir, ...(kinds ? { kinds: kinds as FaultKind[] } : {}), ...(values.verbose ? { verbose: log } : {}), log });
  for (const line of summarize(summary)) log(line);
  process.exitCode = summary.isClean ? 0 : 1;
} finally {
  if (values.keep) process.stdout.write(`chaos: kept ${dir}\n`);
  else await rm(dir, { recursive: true, force: true });
}
