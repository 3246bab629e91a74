import type * as tf from '@tensorflow/tfjs-core';
import { parseRobertaConfig, robertaParameterShapes, type RobertaConfig } from '../config/index.ts';
import { normalizeEncoderCheckpointNames } from '../layers/checkpoint-names.ts';
import { initialEncoderParameter } from '../layers/init.ts';
import type { ModelFamily } from '../layers/model-family.ts';
import type { ModelTask } from '../trainable.ts';
import { robertaArchitectures } from './architectures.ts';
import { RobertaForMaskedLM, RobertaForSequenceClassification, RobertaForTokenClassification, type RobertaModel } from './roberta-model.ts';

/** RoBERTa and XLM-RoBERTa (`model_type` "roberta" / "xlm-roberta"), for pretrained.ts's dispatch. */
export const ROBERTA_FAMILY: ModelFamily<RobertaConfig, RobertaModel> = {
  architectures: robertaArchitectures,
  parameterShapes: (config, task) => robertaParameterShapes(config, task),
  normalizeCheckpointNames: (tensors, expected) =>
    normalizeEncoderCheckpointNames(tensors, expected, {
      prefix: 'roberta',
      baseModules: ['embeddings.', 'encoder.', 'pooler.'],
      // The position_ids buffer, and the MLM decoder, tied to the word embeddings (its bias is lm_head.bias).
      ignored: [/^roberta\.embeddings\.(position_ids|token_type_ids)$/, /^lm_head\.decoder\.(weight|bias)$/],
    }),
  isHeadParameter: (name) => name.startsWith('classifier.') || name.startsWith('lm_head.'),
  initialParameter(config, name, shape, seed) {
    // Both embeddings RoBERTa builds with padding_idx = pad_token_id have that row zeroed.
    const paddingRows = new Map([
      ['roberta.embeddings.word_embeddings.weight', config.pad_token_id],
      ['roberta.embeddings.position_embeddings.weight', config.pad_token_id],
    ]);
    return initialEncoderParameter(name, shape, seed, { initializerRange: config.initializer_range, paddingRows });
  },
  withLabels: (config, labels, file) => parseRobertaConfig({ ...config, ...labels, num_labels: undefined }, file),
  build(config: RobertaConfig, task: ModelTask, initial: ReadonlyMap<string, tf.Tensor>): RobertaModel {
    switch (task) {
      case 'sequence-classification':
        return new RobertaForSequenceClassification(config, initial);
      case 'token-classification':
        return new RobertaForTokenClassification(config, initial);
      case 'masked-lm':
        return new RobertaForMaskedLM(config, initial);
    }
  },
};
