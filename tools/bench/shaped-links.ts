// The scaling model (scaling-model.ts) against real runs over shaped links: a coordinator and W
// workers, each worker in its own network namespace, joined by veth pairs to a bridge in a "switch"
// namespace; both ends of each pair are shaped with `tc qdisc ... tbf` (netem is not available), so
// every worker has RATE in each direction. Prints predicted and measured efficiency side by side.
// Needs root (ip netns, tc). Traffic stays inside this script's namespaces.
//
//   npx tsx tools/bench/shaped-links.ts [--rates 100mbit,1gbit] [--workers 2[,3]] [--steps 12]
//        [--batch 16] [--seq 64] [--preset mini] [--latency-us 50] [--keep]
//
// Namespaces are named tfscale-<pid>-*; they are always removed on exit (normal end, error, SIGINT,
// SIGTERM, SIGHUP), and a start removes those of an earlier run whose process is gone. Each worker
// runs under `taskset -c` (worker i on core i mod cores, --single-threaded-gc, --threads 1, as
// `train --bind-cores`) with TUNEFLEET_SHARED_MEMORY=0, so every chunk crosses the shaped link.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CHUNK_BYTES } from '@tunefleet/comm';
import { type BertPresetName } from '@tunefleet/model';
import { writeLongData } from './scaling-data.ts';
import { predictStep, ringAllReduceSeconds, type RingCosts } from './scaling-model.ts';
import { gradientValues } from './scaling-predict.ts';
import { measureRing } from './scaling-ring.ts';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '100mbit,1gbit' },
    workers: { type: 'string', default: '2' },
    steps: { type: 'string', default: '12' },
    batch: { type: 'string', default: '16' },
    seq: { type: 'string', default: '64' },
    preset: { type: 'string', default: 'mini' },
    'latency-us': { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false }, // keep the work folder (logs, outputs)
  },
});

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'apps/cli/bin/tunefleet.mjs');
const TOKEN = 'shaped-links-bench-token-0123456789';
const PREFIX = `tfscale-${process.pid}-`;
const SWITCH = `${PREFIX}sw`;
const SWITCH_IP = '10.77.0.1';
const workerNs = (i: number): string => `${PREFIX}w${i}`;
const workerIp = (i: number): string => `10.77.0.${10 + i}`;
// veth names live in the root namespace for a moment: at most 15 characters, unique per run.
const vethTag = (process.pid % 100000).toString(36);
const CORES = os.cpus().length;

const children = new Set<ChildProcess>();
/** The work folder (model, data, job files, logs), removed at the end unless --keep. */
let workDir: string | undefined;
const namespaces = new Set<string>();

function sh(command: string, argv: string[], { check = true } = {}): string {
  const run = spawnSync(command, argv, { encoding: 'utf8' });
  if (check && run.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed (${run.status}): ${run.stderr.trim()}`);
  return run.stdout;
}
const ip = (...argv: string[]): string => sh('ip', argv);
const inNs = (ns: string, command: string, ...argv: string[]): string => sh('ip', ['netns', 'exec', ns, command, ...argv]);

/** Synchronous, so it also runs from 'exit' and signal handlers: stop our processes, then remove our namespaces. */
function teardown(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const ns of namespaces) {
    // Processes started inside it (ours, above) must be gone for the namespace to go with its veths.
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).forEach((pid) => {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    });
    spawnSync('ip', ['netns', 'del', ns]);
  }
  namespaces.clear();
}
process.on('exit', teardown);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    teardown();
    if (workDir !== undefined && !args.keep) rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  });
}

/** Namespaces of an earlier run of this script whose process no longer exists. */
function removeStaleNamespaces(): void {
  for (const line of sh('ip', ['netns', 'list'], { check: false }).split('\n')) {
    const match = /^tfscale-(\d+)-\S+/.exec(line);
    if (match === null) continue;
    let isAlive = true;
    try {
      process.kill(Number(match[1]), 0);
    } catch {
      isAlive = false;
    }
    if (!isAlive) spawnSync('ip', ['netns', 'del', match[0]]);
  }
}

/** tbf's burst must hold at least one timer tick of traffic and a GSO packet (64 KB). */
function burstOf(rate: string): string {
  const bitsPerSecond = parseRate(rate);
  return `${Math.max(64 * 1024, Math.ceil((bitsPerSecond / 8) * 0.002))}b`;
}
function parseRate(rate: string): number {
  const match = /^(\d+(?:\.\d+)?)(k|m|g)bit$/.exec(rate);
  if (match === null) throw new Error(`--rates: "${rate}" is not like 100mbit or 1gbit`);
  return Number(match[1]) * { k: 1e3, m: 1e6, g: 1e9 }[match[2] as 'k' | 'm' | 'g'];
}

function setUp(workers: number): void {
  ip('netns', 'add', SWITCH);
  namespaces.add(SWITCH);
  inNs(SWITCH, 'ip', 'link', 'set', 'lo', 'up');
  inNs(SWITCH, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  inNs(SWITCH, 'ip', 'addr', 'add', `${SWITCH_IP}/24`, 'dev', 'br0');
  inNs(SWITCH, 'ip', 'link', 'set', 'br0', 'up');
  for (let i = 0; i < workers; i++) {
    const ns = workerNs(i);
    ip('netns', 'add', ns);
    namespaces.add(ns);
    const [inside, port] = [`tfs${vethTag}a${i}`, `tfs${vethTag}b${i}`];
    ip('link', 'add', inside, 'type', 'veth', 'peer', 'name', port);
    ip('link', 'set', inside, 'netns', ns);
    ip('link', 'set', port, 'netns', SWITCH);
    inNs(ns, 'ip', 'link', 'set', inside, 'name', 'eth0');
    inNs(ns, 'ip', 'addr', 'add', `${workerIp(i)}/24`, 'dev', 'eth0');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    inNs(SWITCH, 'ip', 'link', 'set', port, 'name', `p${i}`);
    inNs(SWITCH, 'ip', 'link', 'set', `p${i}`, 'master', 'br0');
    inNs(SWITCH, 'ip', 'link', 'set', `p${i}`, 'up');
  }
}

/** Shapes both directions of every worker's link (replacing an earlier rate); 'none' removes the shaping. */
function shape(workers: number, rate: string): void {
  for (let i = 0; i < workers; i++) {
    for (const [ns, dev] of [[workerNs(i), 'eth0'], [SWITCH, `p${i}`]] as const) {
      sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root'], { check: false });
      if (rate !== 'none') inNs(ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', burstOf(rate), 'latency', '50ms');
    }
  }
}

function txBytes(i: number): number {
  const [link] = JSON.parse(inNs(workerNs(i), 'ip', '-j', '-s', 'link', 'show', 'dev', 'eth0')) as { stats64: { tx: { bytes: number } } }[];
  return link!.stats64.tx.bytes;
}

function startIn(ns: string, argv: string[], log: string, env: NodeJS.ProcessEnv = {}): ChildProcess & { output(): string } {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d));
  child.on('exit', () => {
    children.delete(child);
    void writeFile(log, Buffer.concat(chunks)).catch(() => undefined);
  });
  return Object.assign(child, { output: () => Buffer.concat(chunks).toString('utf8') });
}

/** Resolves once `child` has printed `pattern`; fails if it exits first or `timeoutMs` passes. */
async function waitForOutput(child: ChildProcess & { output(): string }, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before printing ${pattern}: ${child.output().trim().split('\n').slice(-2).join(' | ')}`);
    if (Date.now() > deadline) throw new Error(`did not print ${pattern} within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

let jobCount = 0;

interface JobRun {
  readonly samplesPerSecond: number;
  readonly stepsPerSecond: number;
  /** Bytes each worker sent per optimizer step (mean over the workers), as the veth counted them. */
  readonly txBytesPerStep: number;
}

async function runJob(work: string, modelDir: string, trainFile: string, workers: number, label: string): Promise<JobRun> {
  const out = join(work, `out-${label}`);
  const steps = Number(args.steps);
  const job = [
    `name: shaped-${label}`, `model_name_or_path: ${modelDir}`, 'task: sequence-classification', `train_file: ${trainFile}`,
    `world_size: ${workers}`, 'gradient_dtype: f32', 'collective_timeout_ms: 600000', `max_seq_length: ${args.seq}`,
    'training_arguments:', `  output_dir: ${out}`, `  per_device_train_batch_size: ${args.batch}`, `  max_steps: ${steps}`,
    "  save_strategy: 'no'", '  logging_steps: 1000', '  disable_tqdm: true', '',
  ].join('\n');
  const jobFile = join(work, `job-${label}.yaml`);
  await writeFile(jobFile, job);
  const port = 50051 + jobCount++; // a fresh port per job: the last one's may linger in TIME_WAIT
  const coordinatorAddress = `${SWITCH_IP}:${port}`;
  const coordinator = startIn(SWITCH, [process.execPath, BIN, 'coordinator', '--host', SWITCH_IP, '--port', String(port), '--db', join(work, `db-${label}.sqlite`), '--token', TOKEN], join(work, `coordinator-${label}.log`));
  await waitForOutput(coordinator, /listening on /, 120_000);
  const before = Array.from({ length: workers }, (_, i) => txBytes(i));
  const workerProcesses = Array.from({ length: workers }, (_, i) =>
    startIn(workerNs(i), ['taskset', '-c', String(i % CORES), process.execPath, '--single-threaded-gc', BIN, 'worker', '--coordinator', coordinatorAddress,
      '--host', workerIp(i), '--port', '0', '--worker-id', `shaped-${i}`, '--backend', 'native', '--threads', '1', '--token', TOKEN, '--connect-timeout-ms', '60000'],
    join(work, `worker-${label}-${i}.log`), { TUNEFLEET_SHARED_MEMORY: '0' }));
  const submit = startIn(SWITCH, [process.execPath, BIN, 'submit', jobFile, '--coordinator', coordinatorAddress, '--watch', '--token', TOKEN], join(work, `submit-${label}.log`));
  const [code] = (await once(submit, 'exit')) as [number | null];
  await Promise.all(workerProcesses.map((w) => (w.exitCode === null ? once(w, 'exit') : undefined)));
  const after = Array.from({ length: workers }, (_, i) => txBytes(i));
  coordinator.kill('SIGTERM');
  if (coordinator.exitCode === null) await once(coordinator, 'exit');
  if (code !== 0) throw new Error(`job ${label} failed (submit exit ${code}); logs in ${work} (run with --keep)`);
  const results = JSON.parse(await readFile(join(out, 'train_results.json'), 'utf8')) as { train_samples_per_second: number; train_steps_per_second: number };
  const txBytesPerStep = after.reduce((sum, value, i) => sum + value - before[i]!, 0) / workers / steps;
  return { samplesPerSecond: results.train_samples_per_second, stepsPerSecond: results.train_steps_per_second, txBytesPerStep };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('shaped-links needs root (ip netns, tc)');
  removeStaleNamespaces();
  const rates = args.rates.split(',');
  rates.forEach(parseRate);
  const workerCounts = args.workers.split(',').map(Number);
  const most = Math.max(...workerCounts);
  const preset = args.preset as BertPresetName;
  const latencySeconds = Number(args['latency-us']) / 1e6;
  const work = await mkdtemp(join(os.tmpdir(), 'shaped-links-'));
  workDir = work;
  try {
    const modelDir = join(work, preset);
    sh(process.execPath, [BIN, 'init-model', '--preset', preset, '--vocab', join(ROOT, 'examples/vocab.txt'), '--num-labels', '2', '--output', modelDir]);
    const trainFile = join(work, 'sst2-long-200.tsv');
    await writeLongData(join(ROOT, 'libs/data/fixtures/sst2-train-200.tsv'), trainFile);
    console.log(`machine: ${CORES} vCPU ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at start`);
    console.log(`${preset}, per-device batch ${args.batch} x seq ${args.seq}, ${args.steps} steps, f32 gradients, 1 thread per worker, each worker in its own namespace`);

    // The model's software figures, measured now on loopback (as --predict does).
    const chunkBytes = DEFAULT_CHUNK_BYTES;
    const [small, big] = await measureRing({ chunkBytes, iterations: 6, sizes: [{ bytes: 64 * 1024, dtype: 'f32' }, { bytes: 40_000_000, dtype: 'f32' }] });
    const softwareLatencySeconds = small!.seconds / 2;
    const costs: RingCosts = { chunkBytes, softwareLatencySeconds, chunkSeconds: (Math.max(0, big!.seconds - small!.seconds) * chunkBytes) / big!.wireBytes };
    console.log(`ring on loopback: fixed cost per ring step ${(softwareLatencySeconds * 1e6).toFixed(0)} us, CPU per ${chunkBytes >> 10} KiB chunk ${(costs.chunkSeconds * 1000).toFixed(2)} ms`);

    setUp(most);
    shape(most, 'none');
    const one = await runJob(work, modelDir, trainFile, 1, 'w1');
    const computeSeconds = 1 / one.stepsPerSecond;
    console.log(`1 worker (no ring): ${one.samplesPerSecond.toFixed(1)} samples/s, step ${(computeSeconds * 1000).toFixed(0)} ms`);
    const denseBytes = gradientValues(preset) * 4;
    const rows: string[] = [];
    const percent = (x: number): string => `${(100 * x).toFixed(0)}%`;
    for (const workers of workerCounts) {
      // The same workers on unshaped veths first: what W workers' compute costs on this machine now
      // (W processes on its cores beside whatever else runs), once the model's unshaped all-reduce
      // (fixed and per-chunk costs, no wire term) is taken off their step.
      shape(most, 'none');
      const free = await runJob(work, modelDir, trainFile, workers, `w${workers}-unshaped`);
      const freeWire = (free.txBytesPerStep * workers) / (2 * (workers - 1));
      const contendedCompute = 1 / free.stepsPerSecond - ringAllReduceSeconds(workers, freeWire, { bytesPerSecond: Infinity, latencySeconds: 0 }, costs).seconds;
      rows.push(`| unshaped veth | ${workers} | ${free.samplesPerSecond.toFixed(1)} | ${(1000 / free.stepsPerSecond).toFixed(0)} ms | ${(free.txBytesPerStep / 1e6).toFixed(1)} MB | ${percent(free.samplesPerSecond / (workers * one.samplesPerSecond))} | - | - | - | - |`);
      console.log(rows[rows.length - 1]);
      for (const rate of rates) {
        shape(most, rate);
        const run = await runJob(work, modelDir, trainFile, workers, `w${workers}-${rate}`);
        const measured = run.samplesPerSecond / (workers * one.samplesPerSecond);
        const link = { bytesPerSecond: parseRate(rate) / 8, latencySeconds };
        // What each rank puts on the wire per all-reduce, from the veth's count: tx = 2(N-1)/N x bytes.
        const wireBytes = (run.txBytesPerStep * workers) / (2 * (workers - 1));
        const allReduce = ringAllReduceSeconds(workers, wireBytes, link, costs);
        const model = predictStep(computeSeconds, allReduce, { overlap: 0, backwardShare: 0.6 });
        // Efficiency against the one-worker baseline, with the step's compute as the W workers had it.
        const contended = computeSeconds / (contendedCompute + allReduce.seconds);
        const serial = computeSeconds / (contendedCompute + ringAllReduceSeconds(workers, wireBytes, link, costs, { isPipelined: false }).seconds);
        rows.push(`| ${rate} | ${workers} | ${run.samplesPerSecond.toFixed(1)} | ${(1000 / run.stepsPerSecond).toFixed(0)} ms | ${(run.txBytesPerStep / 1e6).toFixed(1)} MB | ` +
          `**${percent(measured)}** | ${percent(model.efficiency)} (${(1000 * model.stepSeconds).toFixed(0)} ms) | ` +
          `**${percent(contended)}** (${(1000 * (contendedCompute + allReduce.seconds)).toFixed(0)} ms) | ${((contended - measured) * 100).toFixed(0)} | ${percent(serial)} |`);
        console.log(rows[rows.length - 1]);
      }
    }
    console.log(`\n1 worker, unshaped: ${one.samplesPerSecond.toFixed(1)} samples/s (step ${(computeSeconds * 1000).toFixed(0)} ms); dense gradient ${(denseBytes / 1e6).toFixed(1)} MB f32`);
    console.log('| link (each direction) | workers | samples/s | step | sent per worker per step | measured efficiency | predicted (1-worker compute) | predicted (compute of the unshaped W-worker run) | that - measured (points) | same, wire and CPU not streamed |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log(`load average ${os.loadavg()[0]!.toFixed(1)} at end`);
  } finally {
    teardown();
    if (args.keep) console.log(`work folder kept: ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
