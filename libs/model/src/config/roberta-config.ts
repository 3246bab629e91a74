import { z } from 'zod';
import { BertConfigSchema, crossFieldIssues, isObject, parseConfigWith } from './bert-config.ts';

const positiveInt = z.number().int().positive();
const bert = BertConfigSchema.shape;

/**
 * Hugging Face `RobertaConfig` / `XLMRobertaConfig` (config.json): BertConfig's fields with the
 * classes' own defaults (pad 1, bos 0, eos 2; RoBERTa's vocabulary 50265, XLMRobertaConfig's class
 * default 30522). Real checkpoints state max_position_embeddings 514, type_vocab_size 1 and
 * layer_norm_eps 1e-5 themselves. `model_type` tells the two apart (the architecture is the same;
 * the tokenizer differs).
 */
function robertaSchema<T extends 'roberta' | 'xlm-roberta'>(modelType: T, vocabSize: number) {
  return z
    .looseObject({
      ...bert,
      model_type: z.literal(modelType),
      vocab_size: positiveInt.default(vocabSize),
      pad_token_id: z.number().int().nonnegative().default(1),
      bos_token_id: z.number().int().nonnegative().default(0),
      eos_token_id: z.number().int().nonnegative().default(2),
    })
    .superRefine((config, ctx) => {
      for (const issue of robertaIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }, { when: (payload) => isObject(payload.value) });
}

export const RobertaConfigSchema = robertaSchema('roberta', 50265);
export const XlmRobertaConfigSchema = robertaSchema('xlm-roberta', 30522);

export type RobertaConfig = z.output<typeof RobertaConfigSchema> | z.output<typeof XlmRobertaConfigSchema>;

/** Validates `json` as a RobertaConfig (`model_type` "roberta") or XLMRobertaConfig ("xlm-roberta"). */
export function parseRobertaConfig(json: unknown, file: string): RobertaConfig {
  const modelType = isObject(json) ? json.model_type : undefined;
  const schema = modelType === 'xlm-roberta' ? XlmRobertaConfigSchema : RobertaConfigSchema;
  const defaults = { max_position_embeddings: 512, pad_token_id: 1, vocab_size: modelType === 'xlm-roberta' ? 30522 : 50265, hidden_size: 768, num_attention_heads: 12 };
  return parseConfigWith(schema, json, file, (raw) => robertaIssues({ ...defaults, ...raw }));
}

/** BERT's cross-field rules, and room for RoBERTa's positions: they run from pad_token_id + 1. */
function robertaIssues(config: Record<string, unknown>): { path: string[]; message: string }[] {
  const issues = crossFieldIssues(config);
  const { max_position_embeddings: positions, pad_token_id: pad } = config;
  if (typeof positions === 'number' && typeof pad === 'number' && Number.isInteger(pad) && pad + 1 >= positions) {
    issues.push({
      path: ['max_position_embeddings'],
      message: `max_position_embeddings ${positions} leaves no position after pad_token_id ${pad} (RoBERTa's positions start at pad_token_id + 1)`,
    });
  }
  return issues;
}

/** Longest input a RoBERTa config accepts: positions pad+1 .. pad+seq must fit the table. */
export function robertaMaxSequenceLength(config: RobertaConfig): number {
  return config.max_position_embeddings - config.pad_token_id - 1;
}
