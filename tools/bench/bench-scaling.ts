// Data-parallel scaling through the real local cluster: `tunefleet train --workers W` (embedded
// coordinator + W worker processes, ring all-reduce over gRPC on loopback) on the mini shape
// (4 layers x hidden 256), each worker on one thread. Per-device batch B is fixed, so W workers
// process W x B samples a step (weak scaling, as DDP is used). Figures per W:
//   samples/s = train_samples_per_second of rank 0's train_results.json (optimizer steps x W x B /
//               training-loop time; process start, data and model loading excluded), median of runs;
//   wall      = the whole command, start-up included.
//   efficiency = sps(W) / (W x sps(1)).
// A plain single-process `tunefleet train` (same thread count) is measured first, for reference.
// Usage: npm run bench:scaling -- [--workers 1,2] [--steps 60] [--batch 16] [--seq 64] [--backend auto] [--runs 2]
//        [--gradient-dtype f32|bf16] [--data long|short|sst2] [--group-by-length] [--no-bind-cores]
//        npm run bench:scaling -- --predict [...]: the scaling model's table instead (tools/bench/scaling-predict.ts).
// Workers run with `train --bind-cores` (each on its own core; the single process under taskset on
// core 0) unless --no-bind-cores: unbound, a lone worker's V8 helper threads (GC) use the idle core.
// --data long (default, the mini shape: every row fills --seq): 200 SST-2 labels with six consecutive
// sentences per row (written to the work folder at start), so every batch is B x seq tokens and the
// ranks' steps match; short: those 200 SST-2 sentences, batches padded to their longest sentence, so
// the ranks' steps differ in length; sst2: the demo's 6,920 SST-2 sentences (examples/sst2/train.tsv),
// where --group-by-length (HF's group_by_length) gives both ranks batches of similar length.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { writeLongData } from './scaling-data.ts';

const run = promisify(execFile);
const isPrediction = process.argv.slice(2).includes('--predict');
const { values: args } = parseArgs({
  args: isPrediction ? [] : process.argv.slice(2),
  options: {
    workers: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '60' },
    batch: { type: 'string', default: '16' },
    seq: { type: 'string', default: '64' },
    backend: { type: 'string', default: 'auto' },
    runs: { type: 'string', default: '2' },
    'gradient-dtype': { type: 'string', default: 'f32' },
    data: { type: 'string', default: 'long' },
    'group-by-length': { type: 'boolean', default: false },
    // Each worker on its own core (train --bind-cores), as the "each worker gets one core".
    'bind-cores': { type: 'boolean', default: true },
    'no-bind-cores': { type: 'boolean', default: false },
  },
});
const isBound = args['bind-cores'] && !args['no-bind-cores'];
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const SST2_200 = join(ROOT, 'libs/data/fixtures/sst2-train-200.tsv');
const SST2_TRAIN = join(ROOT, 'examples/sst2/train.tsv');
if (!['short', 'long', 'sst2'].includes(args.data)) throw new Error(`--data must be short, long or sst2, got "${args.data}"`);

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `onCore`: run it under `taskset -c onCore` (the single-process reference, when workers are bound). */
async function tunefleet(argv: string[], onCore?: number): Promise<{ stdout: string; stderr: string }> {
  const [command, commandArgs] = onCore === undefined ? [process.execPath, [BIN, ...argv]] : ['taskset', ['-c', String(onCore), process.execPath, BIN, ...argv]];
  return run(command, commandArgs, { cwd: ROOT, maxBuffer: 64 << 20 });
}

interface Measurement {
  readonly samplesPerSecond: number;
  readonly stepsPerSecond: number;
  readonly wallSeconds: number;
  readonly backend: string;
  /** Rank 0's time inside all-reduce, per optimizer step (0 for the single process). */
  readonly allReduceSecondsPerStep: number;
}

/** `workers` 0: plain `tunefleet train` in one process (no coordinator, no ring), for reference. */
async function measure(work: string, modelDir: string, trainFile: string, workers: number, index: number): Promise<Measurement> {
  const outputDir = join(work, `out-${workers}-${index}`);
  const started = performance.now();
  const { stderr, stdout } = await tunefleet([
    'train', ...(workers > 0 ? ['--workers', String(workers), '--gradient-dtype', args['gradient-dtype'], ...(isBound ? ['--bind-cores'] : [])] : []),
    '--threads', '1', '--backend', args.backend,
    '--model', modelDir, '--train-file', trainFile, '--output-dir', outputDir,
    '--max-seq-length', args.seq, '--per-device-train-batch-size', args.batch, '--max-steps', args.steps,
    '--save-strategy', 'no', '--logging-steps', '1000', '--disable-tqdm', ...(args['group-by-length'] ? ['--group-by-length'] : []),
  ], workers === 0 && isBound ? 0 : undefined);
  const wallSeconds = (performance.now() - started) / 1000;
  const results = JSON.parse(await readFile(join(outputDir, 'train_results.json'), 'utf8'));
  const backend = /, (\w+) backend\)/.exec(stdout + stderr)?.[1] ?? /backend: (\w+) \(/.exec(stdout + stderr)?.[1] ?? '?';
  const allReduce = /all-reduce ([\d.]+) s/.exec(stderr);
  const allReduceSecondsPerStep = allReduce === null ? 0 : Number(allReduce[1]) / Number(args.steps);
  return { samplesPerSecond: results.train_samples_per_second, stepsPerSecond: results.train_steps_per_second, wallSeconds, backend, allReduceSecondsPerStep };
}

const label = (workers: number): string => (workers === 0 ? 'single process (train, no cluster)' : `train --workers ${workers}`);

async function main(): Promise<void> {
  const work = await mkdtemp(join(os.tmpdir(), 'bench-scaling-'));
  try {
    const modelDir = join(work, 'mini');
    await tunefleet(['init-model', '--preset', 'mini', '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', modelDir]);
    const trainFile = args.data === 'long' ? join(work, 'sst2-long-200.tsv') : args.data === 'sst2' ? SST2_TRAIN : SST2_200;
    if (args.data === 'long') await writeLongData(SST2_200, trainFile);
    const counts = [0, ...args.workers.split(',').map(Number)];
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`mini (4 layers x 256), per-device batch ${args.batch}, max_seq_length ${args.seq}, ${args.steps} steps, 1 thread per worker`);
    console.log(`data: ${args.data} (${trainFile})${args['group-by-length'] ? ', group_by_length' : ''}; gradients on the wire: ${args['gradient-dtype']}; workers ${isBound ? 'bound to one core each (--bind-cores)' : 'not bound to cores (--no-bind-cores)'}`);
    console.log(`machine: ${os.cpus().length} vCPU ${cpu}, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at start`);
    const rows: { workers: number; sps: number; stepsPerSecond: number; wall: number; backend: string; allReduce: number }[] = [];
    for (const workers of counts) {
      const runs: Measurement[] = [];
      for (let i = 0; i < Number(args.runs); i++) runs.push(await measure(work, modelDir, trainFile, workers, i));
      const row = {
        workers,
        sps: median(runs.map((m) => m.samplesPerSecond)),
        stepsPerSecond: median(runs.map((m) => m.stepsPerSecond)),
        wall: median(runs.map((m) => m.wallSeconds)),
        backend: runs[0]!.backend,
        allReduce: median(runs.map((m) => m.allReduceSecondsPerStep)),
      };
      rows.push(row);
      console.log(`${label(workers)}: ${row.sps.toFixed(1)} samples/s, ${row.stepsPerSecond.toFixed(2)} steps/s, wall ${row.wall.toFixed(1)} s (${row.backend} backend; runs: ${runs.map((m) => m.samplesPerSecond.toFixed(1)).join(', ')})`);
    }
    const one = rows.find((row) => row.workers === 1);
    console.log('\n| run | samples/s | steps/s | s/step | all-reduce s/step | wall (s) | efficiency sps(W) / (W x sps(1)) |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) {
      const efficiency = one === undefined || row.workers === 0 ? '-' : `${((100 * row.sps) / (row.workers * one.sps)).toFixed(0)}%`;
      console.log(`| ${label(row.workers)} | ${row.sps.toFixed(1)} | ${row.stepsPerSecond.toFixed(2)} | ${(1 / row.stepsPerSecond).toFixed(2)} | ${row.allReduce.toFixed(2)} | ${row.wall.toFixed(1)} | ${efficiency} |`);
    }
    console.log(`load average ${os.loadavg()[0]!.toFixed(1)} at end`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (isPrediction) await (await import('./scaling-predict.ts')).runPrediction(process.argv.slice(2));
else await main();
