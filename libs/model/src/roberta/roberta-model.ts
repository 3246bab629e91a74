import * as tf from '@tensorflow/tfjs-core';
import { bertEncoder, type BertEncoderLayout } from '../bert/bert-encoder.ts';
import { dropout, type DropoutContext } from '../bert/ops.ts';
import { numLabels, parseRobertaConfig, robertaMaxSequenceLength, robertaParameterShapes, type RobertaConfig } from '../config/index.ts';
import { EncoderModel } from '../layers/encoder-model.ts';
import { firstTokens, maskedLmLogits, tokenClassifierLogits } from '../layers/heads.ts';
import { linear } from '../layers/parameter-lookup.ts';
import { saveEncoderModel } from '../layers/save-encoder-model.ts';
import type { ModelBatch, ModelTask } from '../trainable.ts';
import { robertaArchitectures } from './architectures.ts';
import { robertaPositionIds } from './position-ids.ts';

type ForwardOptions = { training: boolean; dropoutSeed?: number };

/**
 * RoBERTa and XLM-RoBERTa: BERT's encoder under `roberta.`, with positions counted from
 * `pad_token_id + 1` (padding tokens take position `pad_token_id`, whose row gets no gradient),
 * no pooler in any head. The config's model_type picks the class names written to config.json.
 */
export abstract class RobertaBase extends EncoderModel<RobertaConfig> {
  constructor(config: RobertaConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, robertaArchitectures(config)[task], robertaParameterShapes(config, task), initial);
  }

  save(dir: string, extraConfig: Record<string, unknown> = {}): Promise<void> {
    return saveEncoderModel(this, dir, extraConfig, parseRobertaConfig);
  }

  /** Last hidden states `[batch * seq, hidden]`. */
  protected encode(batch: ModelBatch, drop: DropoutContext | undefined): tf.Tensor2D {
    const pad = this.config.pad_token_id;
    const maxLength = robertaMaxSequenceLength(this.config);
    const layout: BertEncoderLayout = {
      prefix: 'roberta',
      positionIds: (b) => robertaPositionIds(b, pad),
      positionPaddingIdx: pad,
      maxSeqLength: {
        length: maxLength,
        source: `${maxLength} (max_position_embeddings ${this.config.max_position_embeddings} - pad_token_id ${pad} - 1: positions start after the padding index)`,
      },
    };
    return bertEncoder(this.config, this.lookup, batch, drop, layout);
  }

  protected classifierDropout(): number {
    return this.config.classifier_dropout ?? this.config.hidden_dropout_prob;
  }
}

/**
 * RobertaClassificationHead on `<s>`: dropout, `classifier.dense`, tanh, dropout,
 * `classifier.out_proj`. Logits `[batch, numLabels]`.
 */
export class RobertaForSequenceClassification extends RobertaBase {
  readonly task = 'sequence-classification' as const;

  constructor(config: RobertaConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'sequence-classification', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor2D {
    const drop = this.dropoutContext(options);
    const rate = this.classifierDropout();
    return tf.tidy(() => {
      const first = firstTokens(this.encode(batch, drop), batch.batchSize, batch.seqLength); // [batch, hidden]
      const dense = tf.tanh(linear(this.lookup, 'classifier.dense', dropout(first, rate, drop, 'classifier') as tf.Tensor2D));
      return linear(this.lookup, 'classifier.out_proj', dropout(dense, rate, drop, 'classifier/out') as tf.Tensor2D); // [batch, numLabels]
    });
  }
}

/** Dropout + Linear(hidden, numLabels) per token. Logits `[batch, seq, numLabels]`. */
export class RobertaForTokenClassification extends RobertaBase {
  readonly task = 'token-classification' as const;

  constructor(config: RobertaConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'token-classification', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    return tf.tidy(() => {
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, numLabels: numLabels(this.config) };
      return tokenClassifierLogits(this.lookup, this.encode(batch, drop), shape, this.classifierDropout(), drop);
    });
  }
}

/** RobertaLMHead: `lm_head.dense` + GELU + `lm_head.layer_norm`, decoder tied to the word embeddings, `lm_head.bias`. */
export class RobertaForMaskedLM extends RobertaBase {
  readonly task = 'masked-lm' as const;

  constructor(config: RobertaConfig, initial: ReadonlyMap<string, tf.Tensor>) {
    super(config, 'masked-lm', initial);
  }

  forward(batch: ModelBatch, options: ForwardOptions): tf.Tensor3D {
    const drop = this.dropoutContext(options);
    return tf.tidy(() => {
      const shape = { batchSize: batch.batchSize, seqLength: batch.seqLength, vocabSize: this.config.vocab_size };
      return maskedLmLogits(this.lookup, ROBERTA_MLM_NAMES, this.encode(batch, drop), shape, this.config.layer_norm_eps);
    });
  }
}

const ROBERTA_MLM_NAMES = {
  dense: 'lm_head.dense',
  layerNorm: 'lm_head.layer_norm',
  wordEmbeddings: 'roberta.embeddings.word_embeddings.weight',
  bias: 'lm_head.bias',
};

export type RobertaModel = RobertaForSequenceClassification | RobertaForTokenClassification | RobertaForMaskedLM;
