// Helpers of the encoder-decoder families' golden specs (not exported from index.ts); the checks and
// tolerances are layers/golden-check.ts's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { expectFixtureParity, FIXTURES_DIR } from '../layers/golden-check.ts';
import type { ModelBatch } from '../trainable.ts';
import type { EncoderDecoderModel } from './encoder-decoder-model.ts';

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
  await expectFixtureParity(join(FIXTURES_DIR, dir), 'translation', backend, readSeq2SeqBatch);
}

/** The model's trained parameters equal the reference's `named_parameters()` (names, order, shapes). */
export async function expectSeq2SeqParameterShapes(dir: string, model: EncoderDecoderModel<unknown>): Promise<void> {
  const reference = JSON.parse(await readFile(join(FIXTURES_DIR, dir, 'parameter-shapes.json'), 'utf8')) as [string, number[]][];
  expect([...model.parameters].map(([name, variable]) => [name, [...variable.shape]])).toEqual(reference);
}
