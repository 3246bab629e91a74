import { numLabels } from './bert-config.ts';
import { addLayer, addLayerNorm, addLinear } from './parameter-shapes.ts';
import type { RobertaConfig } from './roberta-config.ts';
import type { BertHead } from './parameter-shapes.ts';

/**
 * Every trainable parameter of the Hugging Face RoBERTa / XLM-RoBERTa model for `head`, by checkpoint
 * name, in `named_parameters()` order (XLMRoberta* classes also name the encoder `roberta.`):
 *
 * - sequence-classification: RobertaForSequenceClassification: no pooler; RobertaClassificationHead
 *   `classifier.dense` [hidden, hidden] and `classifier.out_proj` [labels, hidden].
 * - token-classification: RobertaForTokenClassification: no pooler, `classifier` [labels, hidden].
 * - masked-lm: RobertaForMaskedLM: `lm_head.bias` (registered before its children), `lm_head.dense`,
 *   `lm_head.layer_norm`; `lm_head.decoder.weight` is tied to the word embeddings and not listed.
 * - none: the encoder alone, without pooler.
 */
export function robertaParameterShapes(config: RobertaConfig, head: BertHead): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const hidden = config.hidden_size;
  shapes.set('roberta.embeddings.word_embeddings.weight', [config.vocab_size, hidden]);
  shapes.set('roberta.embeddings.position_embeddings.weight', [config.max_position_embeddings, hidden]);
  shapes.set('roberta.embeddings.token_type_embeddings.weight', [config.type_vocab_size, hidden]);
  addLayerNorm(shapes, 'roberta.embeddings.LayerNorm', hidden);
  for (let layer = 0; layer < config.num_hidden_layers; layer++) addLayer(shapes, `roberta.encoder.layer.${layer}`, config);
  if (head === 'sequence-classification') {
    addLinear(shapes, 'classifier.dense', hidden, hidden);
    addLinear(shapes, 'classifier.out_proj', hidden, numLabels(config));
  }
  if (head === 'token-classification') addLinear(shapes, 'classifier', hidden, numLabels(config));
  if (head === 'masked-lm') {
    shapes.set('lm_head.bias', [config.vocab_size]);
    addLinear(shapes, 'lm_head.dense', hidden, hidden);
    addLayerNorm(shapes, 'lm_head.layer_norm', hidden);
  }
  return shapes;
}
