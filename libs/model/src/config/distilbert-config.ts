import { z } from 'zod';
import { BertConfigSchema, crossFieldIssues, isObject, parseConfigWith } from './bert-config.ts';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const bert = BertConfigSchema.shape;

/**
 * Hugging Face `DistilBertConfig` (config.json) with its defaults (those of distilbert-base-uncased).
 * DistilBERT names its sizes `dim`, `n_layers`, `n_heads`, `hidden_dim`; its LayerNorm eps is fixed
 * at 1e-12 in the model code. Only learned positions (`sinusoidal_pos_embds: false`) and exact GELU
 * are implemented. Unknown keys are kept.
 */
export const DistilBertConfigSchema = z
  .looseObject({
    model_type: z.literal('distilbert'),
    architectures: bert.architectures,
    vocab_size: positiveInt.default(30522),
    max_position_embeddings: positiveInt.default(512),
    sinusoidal_pos_embds: z
      .literal(false, { error: 'only learned position embeddings are implemented (sinusoidal_pos_embds: false)' })
      .default(false),
    n_layers: positiveInt.default(6),
    n_heads: positiveInt.default(12),
    dim: positiveInt.default(768),
    hidden_dim: positiveInt.default(3072),
    dropout: probability.default(0.1),
    attention_dropout: probability.default(0.1),
    activation: z
      .literal('gelu', { error: 'only "gelu" (exact erf GELU) is implemented; "relu" is not' })
      .default('gelu'),
    initializer_range: z.number().positive().default(0.02),
    qa_dropout: probability.default(0.1),
    seq_classif_dropout: probability.default(0.2),
    pad_token_id: z.number().int().nonnegative().default(0),
    tie_weights_: z.boolean().default(true),
    id2label: bert.id2label,
    label2id: bert.label2id,
    num_labels: bert.num_labels,
    problem_type: bert.problem_type,
  })
  .superRefine((config, ctx) => {
    for (const issue of distilBertIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }, { when: (payload) => isObject(payload.value) });

export type DistilBertConfig = z.output<typeof DistilBertConfigSchema>;

/** DistilBERT's LayerNorm epsilon (hard-coded in transformers' modeling_distilbert). */
export const DISTILBERT_LAYER_NORM_EPS = 1e-12;

export function parseDistilBertConfig(json: unknown, file: string): DistilBertConfig {
  const defaults = { dim: 768, n_heads: 12, vocab_size: 30522, pad_token_id: 0 };
  return parseConfigWith(DistilBertConfigSchema, json, file, (raw) => distilBertIssues({ ...defaults, ...raw }));
}

function distilBertIssues(config: Record<string, unknown>): { path: string[]; message: string }[] {
  return crossFieldIssues(config, { hidden: 'dim', heads: 'n_heads' });
}
