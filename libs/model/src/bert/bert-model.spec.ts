import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tunefleet/compute';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBertConfig } from '../config/index.ts';
import { createModel } from '../pretrained.ts';
import { GOLDEN_DIR } from '../test-support.ts';
import type { ModelBatch, ModelTask } from '../trainable.ts';
import { BertModelError } from './bert-model-error.ts';
import { crossEntropy } from './cross-entropy.ts';

const config = parseBertConfig(
  { vocab_size: 50, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, max_position_embeddings: 16, id2label: { 0: 'a', 1: 'b', 2: 'c' } },
  '<test>',
);

function batch(labels?: Int32Array): ModelBatch {
  return {
    batchSize: 2,
    seqLength: 5,
    inputIds: Int32Array.from([1, 7, 9, 2, 0, 1, 8, 2, 0, 0]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0, 0]),
    tokenTypeIds: new Int32Array(10),
    labels,
  };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('BERT models', () => {
  it('parameters follow Hugging Face named_parameters() order for every head', async () => {
    const reference = JSON.parse(await readFile(join(GOLDEN_DIR, 'parameter-shapes.json'), 'utf8')) as Record<ModelTask, [string, number[]][]>;
    const golden = parseBertConfig(JSON.parse(await readFile(join(GOLDEN_DIR, 'sequence-classification', 'config.json'), 'utf8')), 'golden');
    for (const task of ['sequence-classification', 'token-classification', 'masked-lm'] as const) {
      const model = createModel(golden, task, { seed: 0 });
      expect([...model.parameters].map(([name, v]) => [name, v.shape])).toEqual(reference[task]);
      model.dispose();
    }
  });

  it('logit shapes per head', () => {
    const shapes = (['sequence-classification', 'token-classification', 'masked-lm'] as const).map((task) => {
      const model = createModel(config, task, { seed: 1 });
      const shape = tf.tidy(() => model.forward(batch(), { training: false }).shape);
      model.dispose();
      return shape;
    });
    expect(shapes).toEqual([[2, 3], [2, 5, 3], [2, 5, 50]]);
  });

  it('initialises as Hugging Face: N(0, initializer_range), zero biases, LayerNorm 1/0, zero padding row, seeded', () => {
    const a = createModel(config, 'sequence-classification', { seed: 5 });
    const b = createModel(config, 'sequence-classification', { seed: 5 });
    const c = createModel(config, 'sequence-classification', { seed: 6 });
    const get = (m: typeof a, name: string) => Array.from(m.parameters.get(name)!.dataSync());
    const q = get(a, 'bert.encoder.layer.0.attention.self.query.weight');
    expect(q).toEqual(get(b, 'bert.encoder.layer.0.attention.self.query.weight'));
    expect(q).not.toEqual(get(c, 'bert.encoder.layer.0.attention.self.query.weight'));
    expect(q).not.toEqual(get(a, 'bert.encoder.layer.0.attention.self.key.weight'));
    const std = Math.sqrt(q.reduce((s, v) => s + v * v, 0) / q.length);
    expect(std).toBeGreaterThan(0.016);
    expect(std).toBeLessThan(0.024);
    expect(new Set(get(a, 'bert.encoder.layer.1.output.LayerNorm.weight'))).toEqual(new Set([1]));
    expect(new Set(get(a, 'bert.encoder.layer.1.output.LayerNorm.bias'))).toEqual(new Set([0]));
    expect(new Set(get(a, 'classifier.bias'))).toEqual(new Set([0]));
    const words = get(a, 'bert.embeddings.word_embeddings.weight');
    expect(words.slice(0, 32).every((v) => v === 0)).toBe(true); // pad_token_id 0
    expect(words.slice(32, 64).some((v) => v !== 0)).toBe(true);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('isDecayed is false for biases and LayerNorm weights only', () => {
    const model = createModel(config, 'masked-lm', { seed: 1 });
    const decayed = [...model.parameters.keys()].filter((name) => model.isDecayed(name));
    expect(decayed).toContain('bert.encoder.layer.0.attention.self.query.weight');
    expect(decayed).toContain('bert.embeddings.word_embeddings.weight');
    expect(decayed.some((name) => name.endsWith('bias') || name.includes('LayerNorm'))).toBe(false);
    expect(model.isDecayed('cls.predictions.bias')).toBe(false);
    model.dispose();
  });

  it('dropout runs only in training and is reproducible from dropoutSeed', () => {
    const model = createModel(config, 'sequence-classification', { seed: 2 });
    const run = (options: { training: boolean; dropoutSeed?: number }) => tf.tidy(() => Array.from(model.forward(batch(), options).dataSync()));
    expect(run({ training: false })).toEqual(run({ training: false }));
    expect(run({ training: true, dropoutSeed: 11 })).toEqual(run({ training: true, dropoutSeed: 11 }));
    expect(run({ training: true, dropoutSeed: 11 })).not.toEqual(run({ training: true, dropoutSeed: 12 }));
    expect(run({ training: true, dropoutSeed: 11 })).not.toEqual(run({ training: false }));
    model.dispose();
  });

  it('the padding row of the word embeddings gets no gradient from the lookup (nn.Embedding padding_idx)', () => {
    const model = createModel(config, 'token-classification', { seed: 4 });
    // pad id 0 at attended, labelled positions: it influences the loss, yet its row takes no gradient
    const padded = { ...batch(Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])), attentionMask: new Int32Array(10).fill(1) };
    const words = model.parameters.get('bert.embeddings.word_embeddings.weight')!;
    const { grads } = tf.variableGrads(() => model.loss(model.forward(padded, { training: false }), padded), [words]);
    const grad = grads[words.name].arraySync() as number[][];
    expect(grad[0].every((v) => v === 0)).toBe(true);
    expect(grad[7].some((v) => v !== 0)).toBe(true);
    tf.dispose(grads);
    model.dispose();
  });

  it('the MLM decoder is tied to the word embeddings: rows absent from the input get gradient', () => {
    const model = createModel(config, 'masked-lm', { seed: 4 });
    const labels = Int32Array.from([-100, 3, -100, -100, -100, -100, 4, -100, -100, -100]);
    const words = model.parameters.get('bert.embeddings.word_embeddings.weight')!;
    const { grads } = tf.variableGrads(() => model.loss(model.forward(batch(labels), { training: false }), batch(labels)), [words]);
    const grad = grads[words.name].arraySync() as number[][];
    expect(grad[40].some((v) => v !== 0)).toBe(true); // id 40 is not in the batch: only the decoder reaches it
    expect(model.parameters.has('cls.predictions.decoder.weight')).toBe(false);
    tf.dispose(grads);
    model.dispose();
  });

  it('cross-entropy averages over labels != -100 only', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0], [3, -1, 0.5]]);
    const loss = crossEntropy(logits, Int32Array.from([2, -100, 0])).dataSync()[0];
    const lse = (row: number[]) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const expected = ((lse([1, 2, 3]) - 3) + (lse([3, -1, 0.5]) - 3)) / 2;
    expect(loss).toBeCloseTo(expected, 5);
    expect(() => crossEntropy(logits, Int32Array.from([3, 0, 0]))).toThrow(/labels\[0\] = 3 is outside \[0, 3\)/);
    logits.dispose();
  });

  it('rejects batches whose arrays or ids do not fit the config', () => {
    const model = createModel(config, 'token-classification', { seed: 1 });
    const bad = { ...batch(), inputIds: Int32Array.from([1, 7, 9, 2, 0, 1, 8, 2, 0, 50]) };
    expect(() => model.forward(bad, { training: false })).toThrow(BertModelError);
    expect(() => model.forward(bad, { training: false })).toThrow(/inputIds\[9\] = 50 is outside \[0, 50\)/);
    expect(() => model.forward({ ...batch(), seqLength: 4 }, { training: false })).toThrow(/inputIds has 10 values/);
    model.dispose();
  });
});
