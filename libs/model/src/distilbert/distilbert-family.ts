import type * as tf from '@tensorflow/tfjs-core';
import { distilBertParameterShapes, parseDistilBertConfig, type DistilBertConfig } from '../config/index.ts';
import { normalizeEncoderCheckpointNames } from '../layers/checkpoint-names.ts';
import { initialEncoderParameter } from '../layers/init.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { ModelTask } from '../trainable.ts';
import { DISTILBERT_ARCHITECTURES } from './architectures.ts';
import {
  DistilBertForMaskedLM,
  DistilBertForSequenceClassification,
  DistilBertForTokenClassification,
  type DistilBertModel,
} from './distilbert-model.ts';

/** DistilBERT (`model_type` "distilbert"), for pretrained.ts's dispatch. */
export const DISTILBERT_FAMILY: ModelFamily<DistilBertConfig, DistilBertModel> = {
  architectures: () => DISTILBERT_ARCHITECTURES,
  parameterShapes: (config, task) => distilBertParameterShapes(config, task),
  normalizeCheckpointNames: (tensors, expected) =>
    normalizeEncoderCheckpointNames(tensors, expected, {
      prefix: 'distilbert',
      baseModules: ['embeddings.', 'transformer.'],
      // The position_ids buffer, and the MLM projector's weight, tied to the word embeddings.
      ignored: [/^distilbert\.embeddings\.position_ids$/, /^vocab_projector\.weight$/],
    }),
  isHeadParameter: (name) => !name.startsWith('distilbert.'),
  initialParameter(config, name, shape, seed) {
    const paddingRows = new Map([['distilbert.embeddings.word_embeddings.weight', config.pad_token_id]]);
    return initialEncoderParameter(name, shape, seed, { initializerRange: config.initializer_range, paddingRows });
  },
  withLabels: (config, labels, file) => parseDistilBertConfig({ ...config, ...labels, num_labels: undefined }, file),
  build(config: DistilBertConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>): DistilBertModel {
    switch (task) {
      case 'sequence-classification':
        return new DistilBertForSequenceClassification(config, initial);
      case 'token-classification':
        return new DistilBertForTokenClassification(config, initial);
      case 'masked-lm':
        return new DistilBertForMaskedLM(config, initial);
    }
  },
};
