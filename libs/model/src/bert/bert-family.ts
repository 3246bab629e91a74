import type * as tf from '@tensorflow/tfjs-core';
import { bertParameterShapes, parseBertConfig, type BertConfig } from '../config/index.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { ModelTask } from '../trainable.ts';
import { ARCHITECTURES } from './architectures.ts';
import { BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, type BertModel } from './bert-model.ts';
import { normalizeCheckpointNames } from './checkpoint-names.ts';
import { initialParameter } from './init-weights.ts';

/** BERT (`model_type` "bert"), for pretrained.ts's dispatch. */
export const BERT_FAMILY: ModelFamily<BertConfig, BertModel> = {
  architectures: () => ARCHITECTURES,
  parameterShapes: (config, task) => bertParameterShapes(config, task),
  normalizeCheckpointNames,
  // Task heads, and the pooler, which checkpoints of other heads lack.
  isHeadParameter: (name) => name.startsWith('classifier.') || name.startsWith('cls.') || name.startsWith('bert.pooler.'),
  initialParameter,
  withLabels: (config, labels, file) => parseBertConfig({ ...config, ...labels, num_labels: undefined }, file),
  build(config: BertConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>): BertModel {
    switch (task) {
      case 'sequence-classification':
        return new BertForSequenceClassification(config, initial);
      case 'token-classification':
        return new BertForTokenClassification(config, initial);
      case 'masked-lm':
        return new BertForMaskedLM(config, initial);
    }
  },
};
