import * as tf from '@tensorflow/tfjs-core';
import { bertParameterShapes, numLabels, type BertConfig } from '../config/index.ts';
import { EncoderModel } from '../layers/encoder-model.ts';
import { maskedLmLogits, tokenClassifierLogits } from '../layers/heads.ts';
import type { ModelBatch, ModelTask } from '../trainable.ts';
import { ARCHITECTURES } from './architectures.ts';
import { bertEncoder, bertPooler, linear } from './bert-encoder.ts';
import { dropout } from './ops.ts';
import { saveModel } from './save-model.ts';

export { sameShape } from '../layers/encoder-model.ts';

/** What the three BERT heads share (EncoderModel) with BERT's parameter table and save. */
export abstract class BertBase extends EncoderModel<BertConfig> {
  /** `initial` holds one tensor per name of `bertParameterShapes(config, task)`; it is copied. */
  constructor(config: BertConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, ARCHITECTURES[task], bertParameterShapes(config, task), initial);
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    return saveModel(this, dir, extraConfig);
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
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, numLabels: numLabels(this.config) };
      return tokenClassifierLogits(this.lookup, hidden, shape, rate, drop); // [batch, seq, numLabels]
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
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, vocabSize: this.config.vocab_size };
      return maskedLmLogits(p, BERT_MLM_NAMES, hidden, shape, this.config.layer_norm_eps);
    });
  }
}

const BERT_MLM_NAMES = {
  dense: 'cls.predictions.transform.dense',
  layerNorm: 'cls.predictions.transform.LayerNorm',
  wordEmbeddings: 'bert.embeddings.word_embeddings.weight',
  bias: 'cls.predictions.bias',
};

export type BertModel = BertForSequenceClassification | BertForTokenClassification | BertForMaskedLM;
