// Helpers of the encoder-decoder families' golden specs (not exported from index.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { expect } from 'vitest';
import { readSafetensors } from '../checkpoint/index.ts';
import { FIXTURES_DIR } from '../layers/golden-check.ts';
import { loadPretrained } from '../pretrained.ts';
import { maxAbsDiff } from '../test-support.ts';
import type { ModelBatch } from '../trainable.ts';
import type { EncoderDecoderModel } from './encoder-decoder-model.ts';

/** The tolerances of layers/golden-check.ts: logits and loss 1e-4 absolute; every gradient 1e-3 of its max |ref| + 1e-6. */
const LOGITS_ABS = 1e-4;
const GRAD_REL = 1e-3;
const GRAD_ABS = 1e-6;

/** inputs.json of a seq2seq fixture (source, decoder inputs, labels as nested arrays) → a ModelBatch. */
export async function readSeq2SeqBatch(file: string): Promise<ModelBatch> {
  const json = JSON.parse(await readFile(file, 'utf8')) as { input_ids: number[][]; attention_mask: number[][]; decoder_input_ids: number[][]; labels: number[][] };
  return {
    batchSize: json.input_ids.length,
    seqLength: json.input_ids[0].length,
    inputIds: Int32Array.from(json.input_ids.flat()),
    attentionMask: Int32Array.from(json.attention_mask.flat()),
    tokenTypeIds: new Int32Array(json.input_ids.flat().length),
    targetLength: json.labels[0].length,
    decoderInputIds: Int32Array.from(json.decoder_input_ids.flat()),
    labels: Int32Array.from(json.labels.flat()),
  };
}

/** Logits, loss and EVERY parameter gradient of `dir` (a fixture with task translation) equal the reference's on `backend`. */
export async function expectSeq2SeqGoldenParity(dir: string, backend: string): Promise<void> {
  await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
  expect(tf.getBackend()).toBe(backend);
  const path = join(FIXTURES_DIR, dir);
  const { model } = await loadPretrained(path, { task: 'translation' });
  const batch = await readSeq2SeqBatch(join(path, 'inputs.json'));
  const expected = (await readSafetensors(join(path, 'expected.safetensors'))).tensors;
  const names = [...model.parameters.keys()];
  const variables = [...model.parameters.values()];
  let logits: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.forward(batch, { training: false });
    logits = tf.keep(out);
    return model.loss(out, batch);
  }, variables);
  const refLogits = expected.get('logits')!;
  expect(logits!.shape).toEqual(refLogits.shape);
  expect(maxAbsDiff(logits!.dataSync(), refLogits.data).diff).toBeLessThanOrEqual(LOGITS_ABS);
  expect(Math.abs(value.dataSync()[0] - expected.get('loss')!.data[0])).toBeLessThanOrEqual(LOGITS_ABS);
  const failures: string[] = [];
  names.forEach((name, i) => {
    const ref = expected.get(`grad.${name}`);
    if (ref === undefined) return void failures.push(`${name}: no reference gradient`);
    const { diff, scale } = maxAbsDiff(grads[variables[i].name].dataSync(), ref.data);
    if (!(diff <= GRAD_REL * scale + GRAD_ABS)) failures.push(`${name}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
  });
  expect(failures).toEqual([]);
  expect(names.length).toBe([...expected.keys()].filter((k) => k.startsWith('grad.')).length);
  tf.dispose([logits!, value, ...Object.values(grads)]);
  model.dispose();
}

/** The model's trained parameters equal the reference's `named_parameters()` (names, order, shapes). */
export async function expectSeq2SeqParameterShapes(dir: string, model: EncoderDecoderModel<unknown>): Promise<void> {
  const reference = JSON.parse(await readFile(join(FIXTURES_DIR, dir, 'parameter-shapes.json'), 'utf8')) as [string, number[]][];
  expect([...model.parameters].map(([name, variable]) => [name, [...variable.shape]])).toEqual(reference);
}
