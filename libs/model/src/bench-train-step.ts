// Benchmark (prints figures, asserts nothing): one forward + backward of BertForSequenceClassification.
//   npx tsx libs/model/src/bench-train-step.ts [native|wasm|cpu] [tiny|mini|small|base] [batch] [seq] [steps]
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '@tunefleet/compute';
import { BERT_PRESETS, type BertPresetName } from './config/index.ts';
import { createModel } from './pretrained.ts';
import type { ModelBatch } from './trainable.ts';

const [backend = 'wasm', preset = 'tiny', batchArg = '32', seqArg = '64', stepsArg = '5'] = process.argv.slice(2);
const batchSize = Number(batchArg);
const seqLength = Number(seqArg);
const steps = Number(stepsArg);

await initBackend({ backend: backend as BackendChoice, log: (line) => console.log(line) });
const config = BERT_PRESETS[preset as BertPresetName];
const model = createModel(config, 'sequence-classification', { seed: 0 });
const size = batchSize * seqLength;
const batch: ModelBatch = {
  batchSize,
  seqLength,
  inputIds: Int32Array.from({ length: size }, (_, i) => (i * 7919) % config.vocab_size),
  attentionMask: new Int32Array(size).fill(1),
  tokenTypeIds: new Int32Array(size),
  labels: Int32Array.from({ length: batchSize }, (_, i) => i % 2),
};
const variables = [...model.parameters.values()];
for (let step = 0; step <= steps; step++) {
  const start = performance.now();
  const { value, grads } = tf.variableGrads(() => model.loss(model.forward(batch, { training: true, dropoutSeed: step }), batch), variables);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
  const ms = performance.now() - start;
  console.log(`${step === 0 ? 'warm-up' : `step ${step}`}: ${ms.toFixed(0)} ms (${((batchSize * 1000) / ms).toFixed(1)} examples/s), tensors ${tf.memory().numTensors}`);
}
model.dispose();
