// Gradient checkpointing and LoRA on the causal families: peak RSS and step time of full training
// steps (forward, backward, AdamW), each setting in its own process so peak RSS is that setting's,
// and the all-reduce payload of a data-parallel step (gradients of the trainable parameters, float32).
//
//   npx tsx tools/bench/bench-lora-memory.ts [--arch gpt2|llama] [--preset mini] [--batch 8] [--seq 256] [--steps 3] [--backend native]
//
// Figures go to BENCHMARKS.md with the machine they came from; nothing here is asserted in a test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '@tunefleet/compute';
import { applyLora, createModel, familyPresetConfig, type BertPresetName, type CausalLanguageModel, type ModelBatch, type TrainableModel } from '@tunefleet/model';
import { AdamW } from '@tunefleet/trainer';

interface Setting {
  arch: 'gpt2' | 'llama';
  preset: BertPresetName;
  batch: number;
  seq: number;
  steps: number;
  backend: string;
  checkpointing: boolean;
  lora: boolean;
}

interface Result {
  stepMs: number;
  peakRssMb: number;
  trainableParameters: number;
  totalParameters: number;
}

// A vocabulary of GPT-2's order of magnitude would make the LM head dominate; 8000 keeps the layers in view.
const VOCAB = 8000;

function syntheticBatch(batch: number, seq: number): ModelBatch {
  const ids = Int32Array.from({ length: batch * seq }, (_, i) => (i * 7919 + 13) % VOCAB);
  return { batchSize: batch, seqLength: seq, inputIds: ids, attentionMask: new Int32Array(batch * seq).fill(1), tokenTypeIds: new Int32Array(batch * seq), labels: ids };
}

async function child(setting: Setting): Promise<Result> {
  await initBackend({ backend: setting.backend as BackendChoice });
  const config = familyPresetConfig(setting.arch, setting.preset, { vocabSize: VOCAB, padTokenId: 0, bosTokenId: 1, eosTokenId: 2 });
  const base = createModel(config, 'causal-lm', { seed: 0 }) as CausalLanguageModel;
  const model: TrainableModel & { gradientCheckpointing: boolean } = setting.lora ? applyLora(base, { r: 8, loraAlpha: 16 }) : base;
  model.gradientCheckpointing = setting.checkpointing;
  const batch = syntheticBatch(setting.batch, setting.seq);
  const optimizer = new AdamW(model.parameters, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }, (n) => model.isDecayed(n));
  const variables = [...model.parameters.values()];
  const times: number[] = [];
  for (let step = 0; step <= setting.steps; step++) {
    const start = performance.now();
    const { value, grads } = tf.variableGrads(() => model.loss(model.forward(batch, { training: true, dropoutSeed: step }), batch), variables);
    await value.data();
    optimizer.step(new Map([...model.parameters].map(([name, v]) => [name, grads[v.name]!])), 1e-4);
    tf.dispose([value, ...Object.values(grads)]);
    if (step > 0) times.push(performance.now() - start); // step 0 warms the kernels up
  }
  let trainable = 0;
  for (const v of model.parameters.values()) trainable += v.size;
  let total = 0;
  for (const v of base.parameters.values()) total += v.size;
  if (setting.lora) total += trainable;
  return { stepMs: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!, peakRssMb: process.resourceUsage().maxRSS / 1024, trainableParameters: trainable, totalParameters: total };
}

function spawnChild(setting: Setting): Result | string {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify(setting)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return line === undefined ? `failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` : (JSON.parse(line.slice(7)) as Result);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      arch: { type: 'string', default: 'gpt2' },
      preset: { type: 'string', default: 'mini' },
      batch: { type: 'string', default: '8' },
      seq: { type: 'string', default: '256' },
      steps: { type: 'string', default: '3' },
      backend: { type: 'string', default: 'native' },
    },
  });
  if (values.child !== undefined) {
    process.stdout.write(`RESULT ${JSON.stringify(await child(JSON.parse(values.child) as Setting))}\n`);
    return;
  }
  const common = { arch: values.arch as Setting['arch'], preset: values.preset as BertPresetName, batch: Number(values.batch), seq: Number(values.seq), steps: Number(values.steps), backend: values.backend };
  console.log(`${common.arch} ${common.preset} (vocab ${VOCAB}), batch ${common.batch} x seq ${common.seq}, ${common.steps} timed steps, ${common.backend} backend`);
  console.log('lora  checkpointing  step ms  peak RSS MB  trainable params  all-reduce bytes/step');
  for (const lora of [false, true]) {
    for (const checkpointing of [false, true]) {
      const result = spawnChild({ ...common, lora, checkpointing });
      if (typeof result === 'string') {
        console.log(`${lora ? 'r=8 ' : 'off '}  ${checkpointing ? 'on ' : 'off'}           ${result}`);
        continue;
      }
      // RingGradientSync reduces [gradients..., loss sum, count] as float32.
      const bytes = (result.trainableParameters + 2) * 4;
      console.log(
        `${lora ? 'r=8 ' : 'off '}  ${checkpointing ? 'on ' : 'off'}           ${result.stepMs.toFixed(0).padStart(7)}  ${result.peakRssMb.toFixed(0).padStart(11)}  ${String(result.trainableParameters).padStart(16)}  ${String(bytes).padStart(21)}`,
      );
    }
  }
}

await main();
