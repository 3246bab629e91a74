// `npm run bench:scaling -- --predict`: the scaling model's table (tools/bench/scaling-model.ts) from
// figures measured in this invocation. Prints, asserts nothing.
//   1. compute: one training step per model (tiny, mini, base) in fp32 and in bf16 (bench-train.ts's
//      child: forward, backward, AdamW; batch 8 x seq 128, --threads 1 = one worker on one core);
//   2. ring: 2-rank all-reduces between processes on loopback (tools/bench/allreduce/rank-process.ts,
//      the TCP data plane as workers use it): a small one gives the fixed cost of a ring step, 40 MB in
//      f32 and in bf16 give the CPU cost per chunk (all the software: MACs, socket copies, the add,
//      the bf16 codec), with the pieces timed one by one beside it;
//   3. the model: for N workers on L Gbit/s links, the predicted step time and efficiency.
// Usage: npm run bench:scaling -- --predict [--models tiny,mini,base] [--workers 2,4,8,16,32,64]
//        [--links-gbit 1,10,25,100] [--latency-us 50] [--overlap 0] [--steps 2] [--batch 8] [--seq 128]
//        [--ring-iterations 8]
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { f32ToBf16, bf16ToF32, DEFAULT_CHUNK_BYTES } from '@tunefleet/comm';
import { BERT_PRESETS, bertParameterShapes, type BertPresetName } from '@tunefleet/model';
import { nativeAddInto } from '@tunefleet/native-kernels';
import { gbitToBytesPerSecond, predictStep, ringAllReduceSeconds, type RingCosts } from './scaling-model.ts';
import { measureRing } from './scaling-ring.ts';
import type { ChildResult } from './train-step-child.ts';

const MB = 1_000_000;
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Values (parameters = gradient elements) of BertForSequenceClassification of `preset`. */
export function gradientValues(preset: BertPresetName): number {
  let values = 0;
  for (const shape of bertParameterShapes(BERT_PRESETS[preset], 'sequence-classification').values()) values += shape.reduce((a, b) => a * b, 1);
  return values;
}

interface Compute {
  readonly stepSeconds: number;
  /** The backward pass's share of the step (about 2/3 of forward + backward), what overlap could hide. */
  readonly backwardShare: number;
  readonly detail: string;
}

function measureCompute(model: string, isBf16: boolean, steps: number, batch: number, seq: number): Compute | string {
  const argv = [...process.execArgv, here('./bench-train.ts'), '--child', `native:${model}`, '--threads', '1', '--steps', String(steps),
    '--batch', String(batch), '--seq', String(seq), '--no-profile', ...(isBf16 ? ['--bf16'] : [])];
  const run = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) return `failed (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').slice(-2).join(' | ')}`;
  const result = JSON.parse(line.slice('RESULT '.length)) as ChildResult;
  const stepMs = median(result.stepMs);
  return {
    stepSeconds: stepMs / 1000,
    backwardShare: ((2 / 3) * result.forwardBackwardMs) / stepMs,
    detail: `${stepMs.toFixed(0)} ms (steps ${result.stepMs.map((t) => t.toFixed(0)).join('/')}; forward+backward ${result.forwardBackwardMs.toFixed(0)}, AdamW ${result.updateMs.toFixed(0)})${result.precision ? `, ${result.precision}` : ''}`,
  };
}

/** Seconds per call of `work`, median of `rounds` rounds of `calls` calls. */
function timeIt(work: () => void, calls = 20, rounds = 5): number {
  const times: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) work();
    if (round > 0) times.push((performance.now() - started) / 1000 / calls);
  }
  return median(times);
}

/** The per-chunk pieces, timed alone in this process (for the breakdown; the model uses the ring's own figure). */
function chunkPieces(chunkBytes: number): Record<string, number> {
  const payload = randomBytes(chunkBytes);
  const key = randomBytes(32);
  const iv = Buffer.alloc(12);
  // A frame's MAC as the data plane computes it (FrameMacs: AES-256-GCM over no plaintext, the
  // header and payload as additional data); once by the sender, once by the receiver.
  const gmac = (): void => {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(payload);
    cipher.final();
    cipher.getAuthTag();
  };
  const target = new Float32Array(chunkBytes / 4).fill(1);
  const source = new Float32Array(chunkBytes / 4).fill(2);
  const add = nativeAddInto() ?? ((t: Float32Array, s: Float32Array) => { for (let i = 0; i < t.length; i++) t[i]! += s[i]!; });
  const copyTarget = Buffer.alloc(chunkBytes);
  const halves = new Uint16Array(chunkBytes / 2);
  const wide = new Float32Array(chunkBytes / 2);
  return {
    'MAC (GMAC, 1 chunk)': timeIt(gmac),
    'copy (1 chunk)': timeIt(() => payload.copy(copyTarget)),
    'add (f32 chunk)': timeIt(() => add(target, source)),
    'bf16 encode (bf16 chunk)': timeIt(() => f32ToBf16(wide, halves)),
    'bf16 decode (bf16 chunk)': timeIt(() => bf16ToF32(halves, wide)),
  };
}

export async function runPrediction(argv: string[]): Promise<void> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      predict: { type: 'boolean', default: true },
      models: { type: 'string', default: 'tiny,mini,base' },
      workers: { type: 'string', default: '2,4,8,16,32,64' },
      'links-gbit': { type: 'string', default: '1,10,25,100' },
      'latency-us': { type: 'string', default: '50' },
      overlap: { type: 'string', default: '0' },
      steps: { type: 'string', default: '2' },
      batch: { type: 'string', default: '8' },
      seq: { type: 'string', default: '128' },
      'ring-iterations': { type: 'string', default: '8' },
    },
  });
  const models = args.models.split(',') as BertPresetName[];
  for (const model of models) if (BERT_PRESETS[model] === undefined) throw new Error(`--models: unknown preset "${model}"`);
  const workerCounts = args.workers.split(',').map(Number);
  const links = args['links-gbit'].split(',').map(Number);
  const latencySeconds = Number(args['latency-us']) / 1e6;
  const overlap = Number(args.overlap);
  if (!(overlap >= 0 && overlap <= 1)) throw new Error(`--overlap must be in [0, 1], got ${args.overlap}`);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`machine: ${os.cpus().length} vCPU ${cpu}, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at start`);

  console.log(`\n1. compute: one training step per worker (batch ${args.batch} x seq ${args.seq}, 1 thread, native backend; median of ${args.steps} after 1 warm-up)`);
  const compute = new Map<string, Compute>();
  for (const model of models) {
    for (const isBf16 of [false, true]) {
      const result = measureCompute(model, isBf16, Number(args.steps), Number(args.batch), Number(args.seq));
      const name = `${model} ${isBf16 ? 'bf16' : 'fp32'}`;
      if (typeof result === 'string') console.log(`  ${name}: ${result}`);
      else {
        compute.set(name, result);
        console.log(`  ${name}: ${result.detail}`);
      }
    }
  }

  const chunkBytes = DEFAULT_CHUNK_BYTES;
  console.log(`\n2. ring: 2 ranks, loopback, TCP data plane, ${chunkBytes / 1024} KiB chunks, ${args['ring-iterations']} iterations (median of the slower rank)`);
  const ring = await measureRing({ chunkBytes, iterations: Number(args['ring-iterations']), sizes: [
    { bytes: 64 * 1024, dtype: 'f32' },
    { bytes: 40 * MB, dtype: 'f32' },
    { bytes: 40 * MB, dtype: 'bf16' },
  ] });
  const [small, bigF32, bigBf16] = ring;
  // 2 ranks: 2 ring steps. The small one is one chunk a step: its time is the fixed cost of a step.
  const softwareLatencySeconds = small!.seconds / 2;
  // 2 ranks move 2(N-1)/N = 1 x the wire bytes each: what is left after the fixed costs, per chunk.
  const perChunk = (measured: { seconds: number; wireBytes: number }): number =>
    (Math.max(0, measured.seconds - 2 * softwareLatencySeconds) * chunkBytes) / measured.wireBytes;
  const costs: Record<'f32' | 'bf16', RingCosts> = {
    f32: { chunkBytes, chunkSeconds: perChunk(bigF32!), softwareLatencySeconds },
    bf16: { chunkBytes, chunkSeconds: perChunk(bigBf16!), softwareLatencySeconds },
  };
  for (const row of ring) {
    const busbw = (row.bufferBytes / MB / row.seconds) * 1; // 2(N-1)/N = 1 at N = 2
    console.log(`  ${(row.bufferBytes / MB).toFixed(3)} MB ${row.dtype}: ${(row.seconds * 1000).toFixed(1)} ms (busbw ${busbw.toFixed(0)} MB/s of f32 buffer)`);
  }
  console.log(`  fixed cost of a ring step: ${(softwareLatencySeconds * 1e6).toFixed(0)} us; CPU per ${chunkBytes / 1024} KiB chunk on the wire: f32 ${(costs.f32.chunkSeconds * 1000).toFixed(2)} ms, bf16 ${(costs.bf16.chunkSeconds * 1000).toFixed(2)} ms (bf16 chunks carry twice the values)`);
  const pieces = chunkPieces(chunkBytes);
  console.log(`  pieces, timed alone: ${Object.entries(pieces).map(([name, s]) => `${name} ${(s * 1000).toFixed(3)} ms`).join(', ')}`);

  console.log(`\n3. predicted step time and efficiency (compute / step): ring all-reduce of every gradient once a step, link latency ${args['latency-us']} us, overlap ${overlap}`);
  console.log('   cells: step time, efficiency. fp32 = fp32 compute, f32 gradients on the wire; bf16 = bf16 compute (--bf16), bf16 on the wire (--gradient-dtype bf16)');
  const linkHeader = links.map((gbit) => `${gbit} Gbit/s`);
  console.log(`\n| model | precision | gradients | workers | ${linkHeader.join(' | ')} |`);
  console.log(`|---|---|---|---|${links.map(() => '---').join('|')}|`);
  const predictions: { model: string; precision: string; workers: number; gbit: number; efficiency: number }[] = [];
  for (const model of models) {
    const values = gradientValues(model);
    for (const precision of ['fp32', 'bf16'] as const) {
      const measured = compute.get(`${model} ${precision}`);
      if (measured === undefined) continue;
      const wire = precision === 'fp32' ? 'f32' : 'bf16';
      const wireBytes = values * (wire === 'f32' ? 4 : 2);
      for (const workers of workerCounts) {
        const cells = links.map((gbit) => {
          const estimate = ringAllReduceSeconds(workers, wireBytes, { bytesPerSecond: gbitToBytesPerSecond(gbit), latencySeconds }, costs[wire]);
          const step = predictStep(measured.stepSeconds, estimate, { overlap, backwardShare: measured.backwardShare });
          predictions.push({ model, precision, workers, gbit, efficiency: step.efficiency });
          return `${formatSeconds(step.stepSeconds)}, ${(100 * step.efficiency).toFixed(0)}%`;
        });
        console.log(`| ${model} | ${precision} (${formatSeconds(measured.stepSeconds)}) | ${(wireBytes / MB).toFixed(1)} MB ${wire} | ${workers} | ${cells.join(' | ')} |`);
      }
    }
  }
  // What overlapping would buy (the what-if the issue's target names): base, bf16, 64 workers, 25 Gbit/s.
  const base = compute.get('base bf16');
  if (base !== undefined && overlap < 1) {
    const estimate = ringAllReduceSeconds(64, gradientValues('base') * 2, { bytesPerSecond: gbitToBytesPerSecond(25), latencySeconds }, costs.bf16);
    const without = predictStep(base.stepSeconds, estimate, { overlap, backwardShare: base.backwardShare });
    const full = predictStep(base.stepSeconds, estimate, { overlap: 1, backwardShare: base.backwardShare });
    console.log(`\nbase, bf16 compute and wire, 64 workers, 25 Gbit/s: all-reduce ${formatSeconds(estimate.seconds)} (wire ${formatSeconds(estimate.wireSeconds)}, latency ${formatSeconds(estimate.latencySeconds)}, chunk CPU ${formatSeconds(estimate.chunkSeconds)}); ` +
      `efficiency ${(100 * without.efficiency).toFixed(0)}% at overlap ${overlap}, ${(100 * full.efficiency).toFixed(0)}% if it all overlapped the backward pass (${formatSeconds(base.backwardShare * base.stepSeconds)})`);
  }
  console.log(`load average ${os.loadavg()[0]!.toFixed(1)} at end`);
}

function formatSeconds(seconds: number): string {
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}
