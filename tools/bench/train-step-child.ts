// One benchmark run in this process: builds the model, times full training steps, profiles kernels.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setComputePrecision, type BackendChoice } from '@tunefleet/compute';
import { BERT_PRESETS, createModel, type BertPresetName, type ModelBatch } from '@tunefleet/model';
import { adamwUpdate, createAdamWMoments, timeNativeCalls } from '@tunefleet/native-kernels';

export interface ChildOptions {
  backend: string;
  model: string;
  threads: number;
  /** The native output pool bound in MB; undefined: the backend's default. */
  poolMb?: number;
  steps: number;
  batchSize: number;
  seqLength: number;
  profile: boolean;
  /** bf16 mixed precision (the Trainer's --bf16): bf16 products with float32 accumulation. */
  bf16?: boolean;
}

export interface ChildResult {
  samplesPerSecond: number;
  stepMs: number[];
  forwardBackwardMs: number; // median
  updateMs: number; // median
  peakRssMb: number;
  /** Where one profiled forward+backward's time went: native addon calls (native) or tfjs kernels. */
  kernels: { name: string; ms: number; calls: number }[];
  profiledMs: number;
  /** What ran the products (setComputePrecision's detail), with --bf16. */
  precision?: string;
}

const LEARNING_RATE = 5e-5;
const WEIGHT_DECAY = 0.01;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runChild(options: ChildOptions): Promise<ChildResult> {
  await initBackend({ backend: options.backend as BackendChoice, threads: options.threads, poolMb: options.poolMb });
  const precision = options.bf16 ? setComputePrecision('bf16').detail : undefined;
  const config = BERT_PRESETS[options.model as BertPresetName];
  if (config === undefined) throw new Error(`unknown model preset "${options.model}"`);
  const model = createModel(config, 'sequence-classification', { seed: 0 });
  const batch = syntheticBatch(options.batchSize, options.seqLength, config.vocab_size);
  const names = [...model.parameters.keys()];
  const variables = [...model.parameters.values()];
  const update = makeUpdate(options.backend, model.parameters, (n) => model.isDecayed(n));
  const lossOf = (seed: number) => () => model.loss(model.forward(batch, { training: true, dropoutSeed: seed }), batch);

  const stepMs: number[] = [];
  const fwdBwdMs: number[] = [];
  const updateMs: number[] = [];
  for (let step = 0; step <= options.steps; step++) {
    const start = performance.now();
    const { value, grads } = tf.variableGrads(lossOf(step), variables);
    await value.data();
    const mid = performance.now();
    update(names.map((_, i) => grads[variables[i].name]), step + 1);
    const end = performance.now();
    tf.dispose([value, ...Object.values(grads)]);
    if (step === 0) continue; // warm-up
    stepMs.push(end - start);
    fwdBwdMs.push(mid - start);
    updateMs.push(end - mid);
  }

  const kernels: ChildResult['kernels'] = [];
  let profiledMs = 0;
  if (options.profile) {
    const oneStep = () => {
      const { value, grads } = tf.variableGrads(lossOf(99), variables);
      tf.dispose([value, ...Object.values(grads)]);
    };
    if (options.backend === 'native') {
      // Every native call, forward and backward (tf.profile misses the fused ops' backward passes).
      const start = performance.now();
      const calls = await timeNativeCalls(oneStep);
      profiledMs = performance.now() - start;
      const nativeMs = calls.reduce((sum, c) => sum + c.ms, 0);
      kernels.push(...calls, { name: '(outside native calls)', ms: profiledMs - nativeMs, calls: 0 });
    } else {
      const start = performance.now();
      const info = await tf.profile(oneStep);
      profiledMs = performance.now() - start;
      const byName = new Map<string, { ms: number; calls: number }>();
      for (const k of info.kernels) {
        // Op scopes (`x__op`, customGrad's unnamed scope) contain kernels that are counted on their own.
        if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
        byName.set(k.name, { ms: entry.ms + ms, calls: entry.calls + 1 });
      }
      kernels.push(...[...byName].map(([name, v]) => ({ name, ...v })));
    }
    kernels.sort((x, y) => y.ms - x.ms);
  }
  model.dispose();
  return {
    samplesPerSecond: (options.batchSize * 1000) / median(stepMs),
    stepMs,
    forwardBackwardMs: median(fwdBwdMs),
    updateMs: median(updateMs),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    kernels,
    profiledMs,
    ...(precision === undefined ? {} : { precision }),
  };
}

/** native: one adamwUpdate call over every parameter; others: AdamW in tf ops, as the trainer's. */
function makeUpdate(
  backend: string,
  parameters: ReadonlyMap<string, tf.Variable>,
  isDecayed: (name: string) => boolean,
): (grads: tf.Tensor[], step: number) => void {
  const names = [...parameters.keys()];
  const variables = [...parameters.values()];
  if (backend === 'native') {
    const moments = createAdamWMoments(variables);
    const weightDecay = names.map((n) => (isDecayed(n) ? WEIGHT_DECAY : 0));
    return (grads, step) =>
      adamwUpdate(variables, grads, moments, { learningRate: LEARNING_RATE, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, step });
  }
  const m: tf.Tensor[] = variables.map((v) => tf.keep(tf.zerosLike(v)));
  const v2: tf.Tensor[] = variables.map((v) => tf.keep(tf.zerosLike(v)));
  return (grads, step) =>
    tf.tidy(() => {
      const stepSize = LEARNING_RATE / (1 - 0.9 ** step);
      const bc2Sqrt = Math.sqrt(1 - 0.999 ** step);
      variables.forEach((variable, i) => {
        const g = grads[i];
        const nextM = tf.keep(tf.add(tf.mul(m[i], 0.9), tf.mul(g, 0.1)));
        const nextV = tf.keep(tf.add(tf.mul(v2[i], 0.999), tf.mul(tf.square(g), 0.001)));
        m[i].dispose();
        v2[i].dispose();
        m[i] = nextM;
        v2[i] = nextV;
        const decayed = isDecayed(names[i]) ? tf.mul(variable, 1 - LEARNING_RATE * WEIGHT_DECAY) : variable;
        const denom = tf.add(tf.div(tf.sqrt(nextV), bc2Sqrt), 1e-8);
        variable.assign(tf.sub(decayed, tf.mul(tf.div(nextM, denom), stepSize)));
      });
    });
}

function syntheticBatch(batchSize: number, seqLength: number, vocabSize: number): ModelBatch {
  const size = batchSize * seqLength;
  return {
    batchSize,
    seqLength,
    inputIds: Int32Array.from({ length: size }, (_, i) => (i * 7919) % vocabSize),
    attentionMask: new Int32Array(size).fill(1),
    tokenTypeIds: new Int32Array(size),
    labels: Int32Array.from({ length: batchSize }, (_, i) => i % 2),
  };
}
