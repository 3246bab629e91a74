// Benchmark (prints figures, asserts nothing): one full BERT sequence-classification training step
// (forward, backward, AdamW) on tunefleet's backends next to the same step in PyTorch + OpenBLAS.
//
//   npx tsx tools/bench/bench-train.ts [--models tiny,mini] [--backends native,wasm] [--threads 2]
//                                      [--steps 3] [--batch 8] [--seq 128] [--no-torch] [--no-profile]
//
// Each (backend, model) runs in its own child process so peak RSS is that run's alone; PyTorch runs
// tools/bench/torch_step.py under /usr/bin/python3 (Debian's torch over OpenBLAS) with the same threads.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runChild, type ChildResult } from './train-step-child.ts';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'tiny,mini' },
    backends: { type: 'string', default: 'native,wasm' },
    threads: { type: 'string', default: String(Math.min(availableParallelism(), 2)) },
    steps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    'no-torch': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: "backend:model" to run in this process
  },
});

const threads = Number(args.threads);
const steps = Number(args.steps);
const batchSize = Number(args.batch);
const seqLength = Number(args.seq);

if (args.child !== undefined) {
  const [backend, model] = args.child.split(':');
  const result = await runChild({ backend, model, threads, steps, batchSize, seqLength, profile: !args['no-profile'] });
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

interface TorchResult {
  samples_per_s: number;
  step_ms: number[];
  peak_rss_mb: number;
}

const here = dirname(fileURLToPath(import.meta.url));

function spawnChild(backend: string, model: string): ChildResult | string {
  const childArgs = [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${backend}:${model}`,
    '--threads', String(threads), '--steps', String(steps), '--batch', String(batchSize), '--seq', String(seqLength),
    ...(args['no-profile'] ? ['--no-profile'] : [])];
  const run = spawnSync(process.execPath, childArgs, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return `failed (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(line.slice('RESULT '.length)) as ChildResult;
}

function spawnTorch(model: string): TorchResult | string {
  const run = spawnSync('/usr/bin/python3', [join(here, 'torch_step.py'), '--model', model, '--threads', String(threads),
    '--steps', String(steps), '--batch', String(batchSize), '--seq', String(seqLength)], { encoding: 'utf8' });
  if (run.status !== 0) return `failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-1)[0]}`;
  return JSON.parse(run.stdout.trim().split('\n').slice(-1)[0]) as TorchResult;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
console.log(`bench-train: batch ${batchSize} x seq ${seqLength}, ${threads} threads, ${steps} timed steps (median) after 1 warm-up`);
for (const model of args.models.split(',')) {
  const torch = args['no-torch'] ? undefined : spawnTorch(model);
  const torchRate = typeof torch === 'object' ? torch.samples_per_s : undefined;
  console.log(`\n== ${model} ==`);
  if (torch !== undefined) {
    console.log(typeof torch === 'string' ? `torch+openblas: ${torch}`
      : `torch+openblas: ${fmt(torch.samples_per_s)} samples/s, step ${torch.step_ms.join('/')} ms, peak RSS ${torch.peak_rss_mb} MB`);
  }
  for (const backend of args.backends.split(',')) {
    const result = spawnChild(backend, model);
    if (typeof result === 'string') {
      console.log(`${backend}: ${result}`);
      continue;
    }
    const ratio = torchRate === undefined ? '' : `, ${fmt(result.samplesPerSecond / torchRate)}x torch`;
    console.log(`${backend}: ${fmt(result.samplesPerSecond)} samples/s${ratio}, step ${result.stepMs.map((t) => t.toFixed(0)).join('/')} ms ` +
      `(fwd+bwd ${fmt(result.forwardBackwardMs, 0)} ms, AdamW ${fmt(result.updateMs, 0)} ms), peak RSS ${fmt(result.peakRssMb, 0)} MB`);
    if (result.kernels.length > 0) {
      const total = result.kernels.reduce((s, k) => s + k.ms, 0);
      console.log(`  kernels in one profiled fwd+bwd (${fmt(total, 0)} ms of kernel time):`);
      for (const k of result.kernels.slice(0, 12)) {
        console.log(`    ${k.name.padEnd(20)} ${fmt(k.ms, 1).padStart(8)} ms ${fmt((100 * k.ms) / total, 1).padStart(5)}%  x${k.calls}`);
      }
    }
  }
}
