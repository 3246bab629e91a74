import { numLabels, type BertConfig } from './bert-config.ts';

export type BertHead = 'sequence-classification' | 'token-classification' | 'masked-lm' | 'none';

type Shapes = Map<string, number[]>;

/**
 * Every trainable parameter of the Hugging Face model for `head`, by checkpoint name, in the order
 * of `model.named_parameters()`. Linear weights are [out, in]. The single source of truth for names.
 *
 * - sequence-classification: BertForSequenceClassification (with `bert.pooler`).
 * - token-classification: BertForTokenClassification (add_pooling_layer=False, no pooler).
 * - masked-lm: BertForMaskedLM (no pooler); `cls.predictions.decoder.weight` is tied to
 *   `bert.embeddings.word_embeddings.weight` and not listed.
 * - none: the encoder alone, under the `bert.` prefix, without pooler.
 */
export function bertParameterShapes(config: BertConfig, head: BertHead): Map<string, number[]> {
  const shapes: Shapes = new Map();
  const hidden = config.hidden_size;
  addEmbeddings(shapes, config);
  for (let layer = 0; layer < config.num_hidden_layers; layer++) addLayer(shapes, `bert.encoder.layer.${layer}`, config);
  if (head === 'sequence-classification') {
    addLinear(shapes, 'bert.pooler.dense', hidden, hidden);
  }
  if (head === 'sequence-classification' || head === 'token-classification') {
    addLinear(shapes, 'classifier', hidden, numLabels(config));
  }
  if (head === 'masked-lm') {
    // BertLMPredictionHead registers its own `bias` before its children, so it comes first.
    shapes.set('cls.predictions.bias', [config.vocab_size]);
    addLinear(shapes, 'cls.predictions.transform.dense', hidden, hidden);
    addLayerNorm(shapes, 'cls.predictions.transform.LayerNorm', hidden);
  }
  return shapes;
}

function addEmbeddings(shapes: Shapes, config: BertConfig): void {
  const hidden = config.hidden_size;
  shapes.set('bert.embeddings.word_embeddings.weight', [config.vocab_size, hidden]);
  shapes.set('bert.embeddings.position_embeddings.weight', [config.max_position_embeddings, hidden]);
  shapes.set('bert.embeddings.token_type_embeddings.weight', [config.type_vocab_size, hidden]);
  addLayerNorm(shapes, 'bert.embeddings.LayerNorm', hidden);
}

/** One BERT encoder layer's parameters (RoBERTa's layers are the same modules). */
export function addLayer(shapes: Shapes, prefix: string, config: Pick<BertConfig, 'hidden_size' | 'intermediate_size'>): void {
  const hidden = config.hidden_size;
  for (const projection of ['query', 'key', 'value']) addLinear(shapes, `${prefix}.attention.self.${projection}`, hidden, hidden);
  addLinear(shapes, `${prefix}.attention.output.dense`, hidden, hidden);
  addLayerNorm(shapes, `${prefix}.attention.output.LayerNorm`, hidden);
  addLinear(shapes, `${prefix}.intermediate.dense`, hidden, config.intermediate_size);
  addLinear(shapes, `${prefix}.output.dense`, config.intermediate_size, hidden);
  addLayerNorm(shapes, `${prefix}.output.LayerNorm`, hidden);
}

export function addLinear(shapes: Shapes, prefix: string, inFeatures: number, outFeatures: number): void {
  shapes.set(`${prefix}.weight`, [outFeatures, inFeatures]);
  shapes.set(`${prefix}.bias`, [outFeatures]);
}

export function addLayerNorm(shapes: Shapes, prefix: string, features: number): void {
  shapes.set(`${prefix}.weight`, [features]);
  shapes.set(`${prefix}.bias`, [features]);
}
