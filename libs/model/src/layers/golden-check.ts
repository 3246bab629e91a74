// Helpers shared by the family specs' golden parity tests (not exported from index.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { expect } from 'vitest';
import { readSafetensors } from '../checkpoint/index.ts';
import { parseModelConfig } from '../config/index.ts';
import { familyOf } from '../model-families.ts';
import { loadPretrained } from '../pretrained.ts';
import { maxAbsDiff, readBatch } from '../test-support.ts';
import type { AnyModelTask, ModelBatch, ModelTask } from '../trainable.ts';

/**
 * Parity with the float64 PyTorch references (tools/reference/*_reference.py), dropout off, as
 * golden-parity.spec.ts checks BERT: logits and loss max|a - b| <= 1e-4; for EVERY parameter
 * gradient, max|a - b| <= 1e-3 * max|ref| + 1e-6 over the tensor.
 */
const LOGITS_ABS = 1e-4;
const GRAD_REL = 1e-3;
const GRAD_ABS = 1e-6;

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export async function expectGoldenParity(fixture: string, task: AnyModelTask, backend: string): Promise<void> {
  await expectFixtureParity(join(FIXTURES_DIR, fixture, task), task, backend, readBatch);
}

/**
 * The checks of expectGoldenParity on the fixture directory `dir` (config, weights, inputs.json,
 * expected.safetensors), whose inputs.json `readInputs` turns into the task's batch.
 */
export async function expectFixtureParity(dir: string, task: AnyModelTask, backend: string, readInputs: (file: string) => Promise<ModelBatch>): Promise<void> {
  await initBackend({ backend: backend as 'cpu' | 'wasm' | 'native' });
  expect(tf.getBackend()).toBe(backend);
  const { model } = await loadPretrained(dir, { task });
  const batch = await readInputs(join(dir, 'inputs.json'));
  const expected = (await readSafetensors(join(dir, 'expected.safetensors'))).tensors;
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
    if (ref === undefined) {
      failures.push(`${name}: no reference gradient`);
      return;
    }
    const { diff, scale } = maxAbsDiff(grads[variables[i].name].dataSync(), ref.data);
    if (!(diff <= GRAD_REL * scale + GRAD_ABS)) failures.push(`${name}: max diff ${diff.toExponential(2)}, max |ref| ${scale.toExponential(2)}`);
  });
  expect(failures).toEqual([]);
  expect(names.length).toBe([...expected.keys()].filter((k) => k.startsWith('grad.')).length);
  tf.dispose([logits!, value, ...Object.values(grads)]);
  model.dispose();
}

/** The family's parameter table equals the reference's `named_parameters()` (names, order, shapes) for every head. */
export async function expectReferenceParameterShapes(fixture: string): Promise<void> {
  const reference = JSON.parse(await readFile(join(FIXTURES_DIR, fixture, 'parameter-shapes.json'), 'utf8')) as Record<ModelTask, [string, number[]][]>;
  const file = join(FIXTURES_DIR, fixture, 'sequence-classification', 'config.json');
  const config = parseModelConfig(JSON.parse(await readFile(file, 'utf8')), file);
  for (const task of ['sequence-classification', 'token-classification', 'masked-lm'] as const) {
    expect([...familyOf(config).parameterShapes(config, task)]).toEqual(reference[task]);
  }
}
