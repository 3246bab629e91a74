// Test-only helpers (not exported from index.ts): a small TrainableModel with Hugging Face-like
// parameter names, and an in-memory BatchSource.
import * as tf from '@tensorflow/tfjs-core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type ModelBatch, type ModelTask, type TrainableModel } from '@tunefleet/model';
import type { BatchOptions, BatchSource } from '../batch-source.ts';

export interface TinyModelConfig {
  vocabSize: number;
  hiddenSize: number;
  numLabels: number;
  dropoutRate: number;
  initSeed: number;
}

let instanceCounter = 0;

/** Embedding bag (masked mean) -> LayerNorm -> dropout -> linear classifier. */
export class TinyClassifier implements TrainableModel {
  readonly task: ModelTask = 'sequence-classification';
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  constructor(readonly config: TinyModelConfig) {
    const { vocabSize, hiddenSize, numLabels, initSeed } = config;
    // tfjs variable names are global; a suffix keeps several models per process apart.
    const suffix = `_tiny${instanceCounter++}`;
    const make = (name: string, init: tf.Tensor): [string, tf.Variable] => [name, tf.variable(init, true, `${name}${suffix}`)];
    this.parameters = new Map([
      make('bert.embeddings.word_embeddings.weight', tf.randomNormal([vocabSize, hiddenSize], 0, 0.5, 'float32', initSeed)),
      make('bert.embeddings.LayerNorm.weight', tf.ones([hiddenSize])),
      make('bert.embeddings.LayerNorm.bias', tf.zeros([hiddenSize])),
      make('classifier.weight', tf.randomNormal([numLabels, hiddenSize], 0, 0.5, 'float32', initSeed + 1)),
      make('classifier.bias', tf.zeros([numLabels])),
    ]);
  }

  private param(name: string): tf.Variable {
    return this.parameters.get(name)!;
  }

  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLength], 'int32');
      const mask = tf.cast(tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLength], 'int32'), 'float32');
      const embedded = tf.gather(this.param('bert.embeddings.word_embeddings.weight'), ids); // [batch, seq, hidden]
      const summed = tf.sum(tf.mul(embedded, tf.expandDims(mask, 2)), 1); // [batch, hidden]
      const pooled = tf.div(summed, tf.expandDims(tf.sum(mask, 1), 1));
      const { mean, variance } = tf.moments(pooled, 1, true);
      const normed = tf.div(tf.sub(pooled, mean), tf.sqrt(tf.add(variance, 1e-12)));
      let hidden = tf.add(tf.mul(normed, this.param('bert.embeddings.LayerNorm.weight')), this.param('bert.embeddings.LayerNorm.bias'));
      if (options.training && this.config.dropoutRate > 0) {
        hidden = tf.dropout(hidden, this.config.dropoutRate, undefined, options.dropoutSeed);
      }
      return tf.add(tf.matMul(hidden, this.param('classifier.weight'), false, true), this.param('classifier.bias')); // [batch, labels]
    });
  }

  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    return tf.tidy(() => {
      const labels = tf.tensor1d(batch.labels!, 'int32');
      const logProbs = tf.logSoftmax(logits as tf.Tensor2D);
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, this.config.numLabels)), 1);
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
  }

  isDecayed(name: string): boolean {
    return !(name.endsWith('.bias') || name.includes('LayerNorm.weight'));
  }

  async save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, variable] of this.parameters) tensors.set(name, { shape: variable.shape, data: Float32Array.from(variable.dataSync()) });
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'tiny', ...this.config, ...extraConfig }));
  }

  /** Parameter values by name, copied out. */
  snapshot(): Map<string, Float32Array> {
    return new Map([...this.parameters].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }
}

export interface Example {
  ids: number[];
  label: number;
}

/** Deterministic (seed, epoch) shuffle of examples, then fixed-size batches padded with id 0. */
export class ArrayBatchSource implements BatchSource {
  constructor(readonly examples: readonly Example[]) {}

  get size(): number {
    return this.examples.length;
  }

  *batches(options: BatchOptions): Iterable<ModelBatch> {
    const order = [...this.examples.keys()];
    if (options.shuffle) {
      let state = (options.seed * 7919 + options.epoch * 104729 + 1) >>> 0;
      for (let i = order.length - 1; i > 0; i--) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        const j = state % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (let start = 0; start < order.length; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize).map((i) => this.examples[i]!);
      if (rows.length < options.batchSize && options.dropLast) return;
      const seqLength = Math.max(...rows.map((r) => r.ids.length));
      const inputIds = new Int32Array(rows.length * seqLength);
      const attentionMask = new Int32Array(rows.length * seqLength);
      rows.forEach((row, b) => row.ids.forEach((id, s) => {
        inputIds[b * seqLength + s] = id;
        attentionMask[b * seqLength + s] = 1;
      }));
      const labels = Int32Array.from(rows.map((r) => r.label));
      yield { batchSize: rows.length, seqLength, inputIds, attentionMask, tokenTypeIds: new Int32Array(rows.length * seqLength), labels };
    }
  }
}

/** A learnable toy task: label 1 when most tokens come from the upper half of the vocabulary. */
export function makeExamples(count: number, vocabSize: number, seed: number): Example[] {
  let state = seed >>> 0;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: count }, () => {
    const length = 3 + Math.floor(next() * 4);
    const ids = Array.from({ length }, () => 1 + Math.floor(next() * (vocabSize - 1)));
    const upper = ids.filter((id) => id >= vocabSize / 2).length;
    return { ids, label: upper * 2 > length ? 1 : 0 };
  });
}

export const TINY_CONFIG: TinyModelConfig = { vocabSize: 16, hiddenSize: 8, numLabels: 2, dropoutRate: 0, initSeed: 3 };
