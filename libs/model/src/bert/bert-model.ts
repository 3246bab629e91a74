import * as tf from '@tensorflow/tfjs-core';
import { bertParameterShapes, numLabels, type BertConfig } from '../config/index.ts';
import type { ModelBatch, ModelTask, TrainableModel } from '../trainable.ts';
import { ARCHITECTURES } from './architectures.ts';
import { BertModelError } from './bert-model-error.ts';
import { bertEncoder, bertPooler, linear, type ParameterLookup } from './bert-encoder.ts';
import { crossEntropy } from './cross-entropy.ts';
import { isDecayedParameter } from './init-weights.ts';
import { dense, dropout, gelu, layerNorm, type DropoutContext } from './ops.ts';
import { saveModel } from './save-model.ts';

/**
 * What the three BERT heads share: parameters as tf.Variables keyed by HF names in HF order,
 * loss, weight-decay grouping, save and dispose. Subclasses add the head on top of the encoder.
 */
export abstract class BertBase implements TrainableModel {
  abstract readonly task: ModelTask;
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  /** `initial` holds one tensor per name of `bertParameterShapes(config, task)`; it is copied. */
  constructor(
    readonly config: BertConfig,
    task: ModelTask,
    initial: ReadonlyMap<string, tf.Tensor>,
  ) {
    const shapes = bertParameterShapes(config, task);
    const parameters = new Map<string, tf.Variable>();
    for (const [name, shape] of shapes) {
      const value = initial.get(name);
      if (value === undefined) throw new BertModelError('MISSING_WEIGHT', `no initial value for parameter "${name}"`, name);
      if (!sameShape(value.shape, shape)) {
        throw new BertModelError('SHAPE_MISMATCH', `parameter "${name}" expects [${shape.join(', ')}], got [${value.shape.join(', ')}]`, name);
      }
      parameters.set(name, tf.variable(value, true));
    }
    this.parameters = parameters;
  }

  abstract forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor;

  loss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
    if (batch.labels === undefined) throw new BertModelError('BATCH_VALUE', `${ARCHITECTURES[this.task]}.loss: batch has no labels`);
    return crossEntropy(logits, batch.labels);
  }

  isDecayed(name: string): boolean {
    return isDecayedParameter(name);
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    return saveModel(this, dir, extraConfig);
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }

  protected readonly lookup: ParameterLookup = (name) => {
    const variable = this.parameters.get(name);
    if (variable === undefined) throw new BertModelError('UNKNOWN_PARAMETER', `${ARCHITECTURES[this.task]} has no parameter "${name}"`, name);
    return variable;
  };

  protected dropoutContext(options: { training: boolean; dropoutSeed?: number }): DropoutContext | undefined {
    if (!options.training) return undefined;
    return { seed: options.dropoutSeed ?? Math.floor(Math.random() * 2147483647) };
  }
}

/** BERT + pooler + dropout + Linear(hidden, numLabels). Logits `[batch, numLabels]`. */
export class BertForSequenceClassification extends BertBase {
  readonly task = 'sequence-classification' as const;

  constructor(config: BertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'sequence-classification', initial);
  }

  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor2D {
    const drop = this.dropoutContext(options);
    const rate = this.config.classifier_dropout ?? this.config.hidden_dropout_prob;
    return tf.tidy(() => {
      const hidden = bertEncoder(this.config, this.lookup, batch, drop); // [batch * seq, hidden]
      const pooled = bertPooler(this.lookup, hidden, batch.batchSize, batch.seqLength); // [batch, hidden]
      return linear(this.lookup, 'classifier', dropout(pooled, rate, drop, 'classifier') as tf.Tensor2D); // [batch, numLabels]
    });
  }
}

/** BERT (no pooler) + dropout + Linear(hidden, numLabels) per token. Logits `[batch, seq, numLabels]`. */
export class BertForTokenClassification extends BertBase {
  readonly task = 'token-classification' as const;

  constructor(config: BertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'token-classification', initial);
  }

  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    const rate = this.config.classifier_dropout ?? this.config.hidden_dropout_prob;
    return tf.tidy(() => {
      const hidden = bertEncoder(this.config, this.lookup, batch, drop); // [batch * seq, hidden]
      const logits = linear(this.lookup, 'classifier', dropout(hidden, rate, drop, 'classifier') as tf.Tensor2D);
      return tf.reshape(logits, [batch.batchSize, batch.seqLength, numLabels(this.config)]); // [batch, seq, numLabels]
    });
  }
}

/**
 * BERT (no pooler) + prediction head: dense + GELU + LayerNorm, then a decoder TIED to the word
 * embeddings plus `cls.predictions.bias`. Logits `[batch, seq, vocab]`.
 */
export class BertForMaskedLM extends BertBase {
  readonly task = 'masked-lm' as const;

  constructor(config: BertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'masked-lm', initial);
  }

  forward(batch: ModelBatch, options: { training: boolean; dropoutSeed?: number }): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    const p = this.lookup;
    return tf.tidy(() => {
      const hidden = bertEncoder(this.config, p, batch, drop); // [batch * seq, hidden]
      const transformed = layerNorm(
        gelu(linear(p, 'cls.predictions.transform.dense', hidden)),
        p('cls.predictions.transform.LayerNorm.weight') as tf.Tensor1D,
        p('cls.predictions.transform.LayerNorm.bias') as tf.Tensor1D,
        this.config.layer_norm_eps,
      ) as tf.Tensor2D;
      const wordEmbeddings = p('bert.embeddings.word_embeddings.weight') as tf.Tensor2D; // [vocab, hidden], tied
      const logits = dense(transformed, wordEmbeddings, p('cls.predictions.bias') as tf.Tensor1D); // [batch * seq, vocab]
      return tf.reshape(logits, [batch.batchSize, batch.seqLength, this.config.vocab_size]);
    });
  }
}

export type BertModel = BertForSequenceClassification | BertForTokenClassification | BertForMaskedLM;

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
