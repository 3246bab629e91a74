import { numLabels } from './bert-config.ts';
import type { DistilBertConfig } from './distilbert-config.ts';
import { addLayerNorm, addLinear, type BertHead } from './parameter-shapes.ts';

/**
 * Every trainable parameter of the Hugging Face DistilBERT model for `head`, by checkpoint name, in
 * `named_parameters()` order. DistilBERT has no token-type embeddings and no pooler:
 *
 * - sequence-classification: DistilBertForSequenceClassification: `pre_classifier` [dim, dim] and
 *   `classifier` [labels, dim].
 * - token-classification: DistilBertForTokenClassification: `classifier` [labels, dim].
 * - masked-lm: DistilBertForMaskedLM: `vocab_transform`, `vocab_layer_norm` and `vocab_projector.bias`;
 *   `vocab_projector.weight` is tied to the word embeddings and not listed.
 * - none: the transformer alone.
 */
export function distilBertParameterShapes(config: DistilBertConfig, head: BertHead): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const dim = config.dim;
  shapes.set('distilbert.embeddings.word_embeddings.weight', [config.vocab_size, dim]);
  shapes.set('distilbert.embeddings.position_embeddings.weight', [config.max_position_embeddings, dim]);
  addLayerNorm(shapes, 'distilbert.embeddings.LayerNorm', dim);
  for (let layer = 0; layer < config.n_layers; layer++) {
    const prefix = `distilbert.transformer.layer.${layer}`;
    for (const projection of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) addLinear(shapes, `${prefix}.attention.${projection}`, dim, dim);
    addLayerNorm(shapes, `${prefix}.sa_layer_norm`, dim);
    addLinear(shapes, `${prefix}.ffn.lin1`, dim, config.hidden_dim);
    addLinear(shapes, `${prefix}.ffn.lin2`, config.hidden_dim, dim);
    addLayerNorm(shapes, `${prefix}.output_layer_norm`, dim);
  }
  if (head === 'sequence-classification') {
    addLinear(shapes, 'pre_classifier', dim, dim);
    addLinear(shapes, 'classifier', dim, numLabels(config));
  }
  if (head === 'token-classification') addLinear(shapes, 'classifier', dim, numLabels(config));
  if (head === 'masked-lm') {
    addLinear(shapes, 'vocab_transform', dim, dim);
    addLayerNorm(shapes, 'vocab_layer_norm', dim);
    shapes.set('vocab_projector.bias', [config.vocab_size]);
  }
  return shapes;
}
