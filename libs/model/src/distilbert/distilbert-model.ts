import * as tf from '@tensorflow/tfjs-core';
import { dropout } from '../bert/ops.ts';
import { DISTILBERT_LAYER_NORM_EPS, distilBertParameterShapes, numLabels, parseDistilBertConfig, type DistilBertConfig } from '../config/index.ts';
import { EncoderModel } from '../layers/encoder-model.ts';
import { firstTokens, maskedLmLogits, tokenClassifierLogits } from '../layers/heads.ts';
import { linear } from '../layers/parameter-lookup.ts';
import { saveEncoderModel } from '../layers/save-encoder-model.ts';
import type { ModelBatch, ModelTask } from '../trainable.ts';
import { DISTILBERT_ARCHITECTURES } from './architectures.ts';
import { distilBertTransformer } from './distilbert-transformer.ts';

type ForwardOptions = { training: boolean; dropoutSeed?: number };

/** What the three DistilBERT heads share: its parameter table and save. */
export abstract class DistilBertBase extends EncoderModel<DistilBertConfig> {
  constructor(config: DistilBertConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, DISTILBERT_ARCHITECTURES[task], distilBertParameterShapes(config, task), initial);
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    return saveEncoderModel(this, dir, extraConfig, parseDistilBertConfig);
  }
}

/**
 * First token's hidden state, `pre_classifier` + ReLU + dropout(seq_classif_dropout), `classifier`.
 * Logits `[batch, numLabels]`.
 */
export class DistilBertForSequenceClassification extends DistilBertBase {
  readonly task = 'sequence-classification' as const;

  constructor(config: DistilBertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'sequence-classification', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor2D {
    const drop = this.dropoutContext(options);
    return tf.tidy(() => {
      const hidden = distilBertTransformer(this.config, this.lookup, batch, drop); // [batch * seq, dim]
      const pooled = tf.relu(linear(this.lookup, 'pre_classifier', firstTokens(hidden, batch.batchSize, batch.seqLength))); // [batch, dim]
      return linear(this.lookup, 'classifier', dropout(pooled, this.config.seq_classif_dropout, drop, 'classifier') as tf.Tensor2D);
    });
  }
}

/** Dropout(dropout) + Linear(dim, numLabels) per token. Logits `[batch, seq, numLabels]`. */
export class DistilBertForTokenClassification extends DistilBertBase {
  readonly task = 'token-classification' as const;

  constructor(config: DistilBertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'token-classification', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    return tf.tidy(() => {
      const hidden = distilBertTransformer(this.config, this.lookup, batch, drop);
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, numLabels: numLabels(this.config) };
      return tokenClassifierLogits(this.lookup, hidden, shape, this.config.dropout, drop);
    });
  }
}

/** `vocab_transform` + GELU + `vocab_layer_norm`, `vocab_projector` tied to the word embeddings (own bias). */
export class DistilBertForMaskedLM extends DistilBertBase {
  readonly task = 'masked-lm' as const;

  constructor(config: DistilBertConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'masked-lm', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    return tf.tidy(() => {
      const hidden = distilBertTransformer(this.config, this.lookup, batch, drop);
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, vocabSize: this.config.vocab_size };
      return maskedLmLogits(this.lookup, DISTILBERT_MLM_NAMES, hidden, shape, DISTILBERT_LAYER_NORM_EPS);
    });
  }
}

const DISTILBERT_MLM_NAMES = {
  dense: 'vocab_transform',
  layerNorm: 'vocab_layer_norm',
  wordEmbeddings: 'distilbert.embeddings.word_embeddings.weight',
  bias: 'vocab_projector.bias',
};

export type DistilBertModel = DistilBertForSequenceClassification | DistilBertForTokenClassification | DistilBertForMaskedLM;
