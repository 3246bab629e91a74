import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, readSafetensors, writeSafetensors, type TensorData } from './checkpoint/index.ts';
import { BERT_PRESETS, parseBertConfig } from './config/index.ts';
import { BertModelError } from './bert/bert-model-error.ts';
import { createModel, getWeights, loadPretrained, loadWeights } from './pretrained.ts';
import { GOLDEN_DIR, maxAbsDiff, readBatch, shouldRunTorchReference } from './test-support.ts';

const SEQ_DIR = join(GOLDEN_DIR, 'sequence-classification');
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TRAIN_HINT = 'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.';

let scratch: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  scratch = await mkdtemp(join(tmpdir(), 'tunefleet-pretrained-'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A copy of the golden sequence-classification checkpoint with its tensors edited. */
async function editedCheckpoint(name: string, edit: (tensors: Map<string, TensorData>) => void): Promise<string> {
  const dir = join(scratch, name);
  const { tensors } = await readSafetensors(join(SEQ_DIR, 'model.safetensors'));
  edit(tensors);
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  await copyFile(join(SEQ_DIR, 'config.json'), join(dir, 'config.json'));
  return dir;
}

async function evalLogits(dir: string, options: Parameters<typeof loadPretrained>[1]) {
  const loaded = await loadPretrained(dir, options);
  const batch = await readBatch(join(SEQ_DIR, 'inputs.json'));
  const logits = loaded.model.forward(batch, { training: false });
  const values = logits.dataSync().slice();
  const shape = logits.shape;
  logits.dispose();
  loaded.model.dispose();
  return { ...loaded, values, shape };
}

describe('loadPretrained', () => {
  it('loads the golden checkpoint with an empty report and reference logits', async () => {
    const lines: string[] = [];
    const { report, values } = await evalLogits(SEQ_DIR, { task: 'sequence-classification', log: (l) => lines.push(l) });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    expect(lines).toEqual([]);
    const expected = (await readSafetensors(join(SEQ_DIR, 'expected.safetensors'))).tensors.get('logits')!;
    expect(maxAbsDiff(values, expected.data).diff).toBeLessThanOrEqual(1e-4);
  });

  it('accepts gamma/beta LayerNorm names and keys without the bert. prefix (legacy)', async () => {
    const { tensors } = await readSafetensors(join(GOLDEN_DIR, 'legacy', 'model.safetensors'));
    expect([...tensors.keys()].some((k) => k.endsWith('.gamma'))).toBe(true);
    expect([...tensors.keys()].some((k) => k.startsWith('bert.'))).toBe(false);
    const { report, values } = await evalLogits(join(GOLDEN_DIR, 'legacy'), { task: 'sequence-classification' });
    expect(report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    const expected = (await readSafetensors(join(SEQ_DIR, 'expected.safetensors'))).tensors.get('logits')!;
    expect(maxAbsDiff(values, expected.data).diff).toBeLessThanOrEqual(1e-4);
  });

  it('initialises a missing head and logs transformers\' warning', async () => {
    const dir = await editedCheckpoint('no-head', (t) => {
      t.delete('classifier.weight');
      t.delete('classifier.bias');
      t.set('cls.seq_relationship.weight', { shape: [2, 32], data: new Float32Array(64) });
    });
    const lines: string[] = [];
    const { report, shape } = await evalLogits(dir, { task: 'sequence-classification', log: (l) => lines.push(l) });
    expect(report.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(report.unused).toEqual(['cls.seq_relationship.weight']);
    expect(shape).toEqual([3, 3]);
    expect(lines).toContain(
      `Some weights of BertForSequenceClassification were not initialized from the model checkpoint at ${dir} and are newly initialized: ['classifier.bias', 'classifier.weight']\n${TRAIN_HINT}`,
    );
  });

  it('re-initialises a head with another label count and reports it as mismatched', async () => {
    const lines: string[] = [];
    const { report, shape, config } = await evalLogits(SEQ_DIR, { task: 'sequence-classification', numLabels: 2, log: (l) => lines.push(l) });
    expect(report.mismatched).toEqual(['classifier.weight', 'classifier.bias']);
    expect(shape).toEqual([3, 2]);
    expect(config.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
    expect(lines.join('\n')).toContain(
      `Some weights of BertForSequenceClassification were not initialized from the model checkpoint at ${SEQ_DIR} and are newly initialized because the shapes did not match:\n` +
        '- classifier.weight: found shape [3, 32] in the checkpoint and [2, 32] in the model instantiated\n',
    );
    expect(lines.join('\n')).toContain(TRAIN_HINT);
  });

  it('a missing encoder weight is an error naming the tensor', async () => {
    const dir = await editedCheckpoint('no-encoder-weight', (t) => t.delete('bert.encoder.layer.1.output.dense.weight'));
    const error = await loadPretrained(dir, { task: 'sequence-classification' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BertModelError);
    expect((error as BertModelError).code).toBe('MISSING_WEIGHT');
    expect((error as BertModelError).tensor).toBe('bert.encoder.layer.1.output.dense.weight');
    expect((error as Error).message).toContain(join(dir, 'model.safetensors'));
  });

  it('an encoder shape mismatch is an error naming the tensor', async () => {
    const dir = await editedCheckpoint('bad-shape', (t) => t.set('bert.encoder.layer.0.intermediate.dense.bias', { shape: [36], data: new Float32Array(36) }));
    const error = await loadPretrained(dir, { task: 'sequence-classification' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe('CHECKPOINT_SHAPE_MISMATCH');
    expect((error as CheckpointError).tensor).toBe('bert.encoder.layer.0.intermediate.dense.bias');
    expect((error as Error).message).toContain('expected [37], got [36]');
  });
});

describe('save / getWeights / loadWeights', () => {
  const config = parseBertConfig(
    { ...BERT_PRESETS.tiny, hidden_size: 32, num_attention_heads: 4, intermediate_size: 37, vocab_size: 99, max_position_embeddings: 64, id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 } },
    '<test>',
  );

  /** A model with weights scaled up, so its logits are far from zero and comparisons mean something. */
  async function savedScaledModel(name: string) {
    const model = createModel(config, 'sequence-classification', { seed: 7 });
    tf.tidy(() => model.parameters.forEach((v, n) => !n.includes('LayerNorm') && v.assign(tf.mul(v, 10))));
    const dir = join(scratch, name);
    await model.save(dir, { finetuning_task: 'unit-test' });
    const batch = await readBatch(join(SEQ_DIR, 'inputs.json'));
    const ours = tf.tidy(() => model.forward(batch, { training: false }).dataSync().slice());
    model.dispose();
    return { dir, ours };
  }

  it('round-trips through save/loadPretrained', async () => {
    const { dir, ours } = await savedScaledModel('saved');
    const written = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(written.architectures).toEqual(['BertForSequenceClassification']);
    expect(written.id2label).toEqual({ 0: 'neg', 1: 'pos' });
    expect(written.finetuning_task).toBe('unit-test');
    expect(written.hidden_size).toBe(32);
    const reloaded = await evalLogits(dir, { task: 'sequence-classification' });
    expect(reloaded.report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    expect(maxAbsDiff(reloaded.values, ours).diff).toBe(0);
  });

  it.skipIf(!shouldRunTorchReference())('a saved checkpoint, read back by the PyTorch reference, gives the same logits', async () => {
    const { dir, ours } = await savedScaledModel('saved-for-torch');
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [
      join(REPO_ROOT, 'tools/reference/bert_reference.py'), 'logits', '--model', dir, '--inputs', join(SEQ_DIR, 'inputs.json'), '--task', 'sequence-classification',
    ]);
    const reference = (JSON.parse(stdout) as number[][]).flat();
    const { diff, scale } = maxAbsDiff(ours, reference);
    expect(scale).toBeGreaterThan(1e-2);
    expect(diff).toBeLessThanOrEqual(1e-4);
  });

  it('the masked-LM checkpoint omits the tied decoder, as Hugging Face does', async () => {
    const model = createModel(config, 'masked-lm', { seed: 1 });
    const dir = join(scratch, 'mlm');
    await model.save(dir);
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    expect([...tensors.keys()]).toEqual([...model.parameters.keys()]);
    expect(tensors.has('cls.predictions.decoder.weight')).toBe(false);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).architectures).toEqual(['BertForMaskedLM']);
    model.dispose();
  });

  it('getWeights snapshots survive later updates and loadWeights restores them', () => {
    const model = createModel(config, 'token-classification', { seed: 3 });
    const snapshot = getWeights(model);
    const name = 'bert.encoder.layer.0.attention.self.query.weight';
    const before = snapshot.get(name)!.data.slice();
    tf.tidy(() => model.parameters.get(name)!.assign(tf.zerosLike(model.parameters.get(name)!)));
    expect(snapshot.get(name)!.data).toEqual(before);
    loadWeights(model, snapshot);
    expect(Float32Array.from(model.parameters.get(name)!.dataSync())).toEqual(before);
    snapshot.set(name, { shape: [1, 2], data: new Float32Array(2) });
    expect(() => loadWeights(model, snapshot)).toThrow(/"bert.encoder.layer.0.attention.self.query.weight" is \[1, 2\]/);
    model.dispose();
  });
});
