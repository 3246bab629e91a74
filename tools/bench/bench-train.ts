// Benchmark (prints figures, asserts nothing): one full BERT sequence-classification training step
// (forward, backward, AdamW) on tunefleet's backends next to the same step in PyTorch + OpenBLAS,
// measured in the same invocation with the same thread count on both sides.
//
//   npx tsx tools/bench/bench-train.ts [--models tiny,mini,base] [--backends native] [--threads N]
//        [--steps 3] [--batch 8] [--seq 128] [--scaling-model base] [--no-scaling] [--no-torch] [--no-profile]
//        [--pool-mb MB] [--bf16]
//
// --threads defaults to every core. --pool-mb bounds the native backend's output pool (default:
// TUNEFLEET_POOL_MB, else the backend's own). After the per-model table, the scaling run times
// --scaling-model at 1 and 2 threads on both sides and prints the 1 -> 2 thread speed-up.
// Each run is its own child process so its peak RSS is its own; PyTorch runs tools/bench/torch_step.py
// under /usr/bin/python3 (Debian's torch over OpenBLAS).
//
// --bf16: both sides in bf16 mixed precision (tunefleet's --bf16; PyTorch under
// torch.autocast("cpu", dtype=torch.bfloat16)); models default to mini,base and threads to 1,2 (a
// comma list: each model at each count), targets step time <= 0.85x and peak RSS <= 1.0x PyTorch's;
// no scaling run.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runChild, type ChildResult } from './train-step-child.ts';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string' },
    backends: { type: 'string', default: 'native' },
    threads: { type: 'string' },
    steps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    'scaling-model': { type: 'string', default: 'base' },
    'no-scaling': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'pool-mb': { type: 'string', default: process.env.TUNEFLEET_POOL_MB ?? '' },
    bf16: { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: "backend:model" to run in this process
  },
});

const isBf16 = args.bf16;
const models = (args.models ?? (isBf16 ? 'mini,base' : 'tiny,mini,base')).split(',');
/** Thread counts of the table (a comma list); the first is the one the header and the children default to. */
const threadCounts = (args.threads ?? (isBf16 ? '1,2' : String(availableParallelism()))).split(',').map(Number);
const threads = threadCounts[0];
const steps = Number(args.steps);
const batchSize = Number(args.batch);
const seqLength = Number(args.seq);
const poolMb = args['pool-mb'].trim() === '' ? undefined : Number(args['pool-mb']);

if (args.child !== undefined) {
  const [backend, model] = args.child.split(':');
  const result = await runChild({ backend, model, threads, poolMb, steps, batchSize, seqLength, profile: !args['no-profile'], bf16: isBf16 });
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

interface TorchResult {
  blas_threads: number;
  samples_per_s: number;
  step_ms: number[];
  peak_rss_mb: number;
}

/** What the table and the scaling run need of either side. */
interface Run {
  samplesPerSecond: number;
  stepMs: number[];
  peakRssMb: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, digits = 2) => n.toFixed(digits);

function spawnChild(backend: string, model: string, threadCount: number, profile: boolean): ChildResult | string {
  const childArgs = [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${backend}:${model}`,
    '--threads', String(threadCount), '--steps', String(steps), '--batch', String(batchSize), '--seq', String(seqLength),
    ...(profile ? [] : ['--no-profile']), ...(poolMb === undefined ? [] : ['--pool-mb', String(poolMb)]), ...(isBf16 ? ['--bf16'] : [])];
  const run = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return `failed (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(line.slice('RESULT '.length)) as ChildResult;
}

function spawnTorch(model: string, threadCount: number): Run | string {
  const run = spawnSync('/usr/bin/python3', [join(here, 'torch_step.py'), '--model', model, '--threads', String(threadCount),
    '--steps', String(steps), '--batch', String(batchSize), '--seq', String(seqLength), ...(isBf16 ? ['--bf16'] : [])], { encoding: 'utf8' });
  if (run.status !== 0) return `failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-1)[0]}`;
  const torch = JSON.parse(run.stdout.trim().split('\n').slice(-1)[0]) as TorchResult;
  if (torch.blas_threads !== threadCount) return `not comparable: torch's OpenBLAS ran ${torch.blas_threads} threads, asked for ${threadCount}`;
  return { samplesPerSecond: torch.samples_per_s, stepMs: torch.step_ms, peakRssMb: torch.peak_rss_mb };
}

function describeRun(run: Run): string {
  return `${fmt(run.samplesPerSecond)} samples/s (median step ${fmt(median(run.stepMs), 0)} ms of ${run.stepMs.map((t) => t.toFixed(0)).join('/')}), ` +
    `peak RSS ${fmt(run.peakRssMb, 0)} MB`;
}

/** tunefleet against torch: step-time ratio (target <= 1.0; bf16 <= 0.85) and peak-RSS ratio (target <= 1.5; bf16 <= 1.0). */
function describeRatio(ours: Run, torch: Run): string {
  const time = median(ours.stepMs) / median(torch.stepMs);
  const memory = ours.peakRssMb / torch.peakRssMb;
  const [timeTarget, memoryTarget] = isBf16 ? [0.85, 1.0] : [1.0, 1.5];
  return `step time ${fmt(time)}x torch [${time <= timeTarget ? 'met' : 'NOT met'}: <= ${timeTarget}], ` +
    `speed ${fmt(ours.samplesPerSecond / torch.samplesPerSecond)}x, ` +
    `peak RSS ${fmt(memory)}x torch [${memory <= memoryTarget ? 'met' : 'NOT met'}: <= ${memoryTarget.toFixed(1)}]`;
}

function printBreakdown(result: ChildResult): void {
  if (result.kernels.length === 0) return;
  const total = result.kernels.reduce((s, k) => s + k.ms, 0);
  console.log(`  where one profiled fwd+bwd went (${fmt(result.profiledMs, 0)} ms wall, ${fmt(total, 0)} ms attributed):`);
  for (const k of result.kernels.slice(0, 14)) {
    const calls = k.calls > 0 ? `  x${k.calls}` : '';
    console.log(`    ${k.name.padEnd(24)} ${fmt(k.ms, 1).padStart(8)} ms ${fmt((100 * k.ms) / total, 1).padStart(5)}%${calls}`);
  }
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`bench-train${isBf16 ? ' --bf16 (tunefleet --bf16 vs torch.autocast("cpu", dtype=torch.bfloat16))' : ''}: ` +
  `batch ${batchSize} x seq ${seqLength}, ${threadCounts.join(' and ')} threads on both sides, ${steps} timed steps ` +
  `(median) after 1 warm-up; ${availableParallelism()} CPUs, load average ${load()}`);

/** Results by "side:model:threads", so the scaling run reuses the table's runs. */
const runs = new Map<string, Run | string>();

for (const model of models) for (const threads of threadCounts) {
  console.log(`\n== ${model} (${threads} thread${threads === 1 ? '' : 's'}${isBf16 ? ', bf16' : ''}; load average ${load()}) ==`);
  const torch = args['no-torch'] ? undefined : spawnTorch(model, threads);
  if (torch !== undefined) {
    runs.set(`torch:${model}:${threads}`, torch);
    console.log(`torch${isBf16 ? ' bf16 autocast' : '+openblas'}: ${typeof torch === 'string' ? torch : describeRun(torch)}`);
  }
  for (const backend of args.backends.split(',')) {
    const result = spawnChild(backend, model, threads, !args['no-profile']);
    runs.set(`${backend}:${model}:${threads}`, result);
    if (typeof result === 'string') {
      console.log(`tunefleet ${backend}: ${result}`);
      continue;
    }
    console.log(`tunefleet ${backend}${isBf16 ? ' bf16' : ''}: ${describeRun(result)}; fwd+bwd ${fmt(result.forwardBackwardMs, 0)} ms, AdamW ${fmt(result.updateMs, 0)} ms`);
    if (result.precision !== undefined) console.log(`  products: ${result.precision}`);
    if (typeof torch === 'object') console.log(`  ${describeRatio(result, torch)}`);
    printBreakdown(result);
  }
}

if (!args['no-scaling'] && !isBf16) {
  const model = args['scaling-model'];
  console.log(`\n== 1 -> 2 thread scaling, ${model} (target: tunefleet >= 1.7x; load average now ${load()}) ==`);
  const sides = [...args.backends.split(',').filter((b) => b === 'native'), ...(args['no-torch'] ? [] : ['torch'])];
  for (const side of sides) {
    const at = (n: number) => {
      const key = `${side}:${model}:${n}`;
      const cached = runs.get(key);
      if (cached !== undefined) return cached;
      const run = side === 'torch' ? spawnTorch(model, n) : spawnChild(side, model, n, false);
      runs.set(key, run);
      return run;
    };
    const one = at(1);
    const two = at(2);
    if (typeof one === 'string' || typeof two === 'string') {
      console.log(`${side}: ${typeof one === 'string' ? one : two}`);
      continue;
    }
    const factor = two.samplesPerSecond / one.samplesPerSecond;
    const verdict = side === 'torch' ? '' : ` [${factor >= 1.7 ? 'met' : 'NOT met'}: >= 1.7]`;
    console.log(`${side}: 1 thread ${describeRun(one)}; 2 threads ${describeRun(two)}; scaling ${fmt(factor)}x${verdict}`);
  }
}
