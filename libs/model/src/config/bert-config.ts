import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.ts';

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);
const intKey = /^(0|[1-9]\d*)$/;

/**
 * Hugging Face `BertConfig` (config.json), with its defaults (those of bert-base-uncased).
 * Unknown keys are kept so they survive a load/save round trip. Only what tunefleet computes is
 * accepted: exact-erf "gelu", absolute positions, single-label classification.
 */
export const BertConfigSchema = z
  .looseObject({
    model_type: z.literal('bert').default('bert'),
    architectures: z.array(z.string()).optional(),
    vocab_size: positiveInt.default(30522),
    hidden_size: positiveInt.default(768),
    num_hidden_layers: positiveInt.default(12),
    num_attention_heads: positiveInt.default(12),
    intermediate_size: positiveInt.default(3072),
    hidden_act: z
      .literal('gelu', { error: 'only "gelu" (exact erf GELU) is implemented; "gelu_new", "relu" and others are not' })
      .default('gelu'),
    hidden_dropout_prob: probability.default(0.1),
    attention_probs_dropout_prob: probability.default(0.1),
    max_position_embeddings: positiveInt.default(512),
    type_vocab_size: positiveInt.default(2),
    initializer_range: z.number().positive().default(0.02),
    layer_norm_eps: z.number().positive().default(1e-12),
    pad_token_id: z.number().int().nonnegative().default(0),
    position_embedding_type: z
      .literal('absolute', { error: 'only "absolute" position embeddings are implemented (not relative_key/relative_key_query)' })
      .default('absolute'),
    classifier_dropout: probability.nullable().default(null),
    // Hugging Face writes integer keys as JSON strings: {"0": "negative", "1": "positive"}.
    id2label: z.record(z.string().regex(intKey, 'id2label keys must be non-negative integers written as strings'), z.string()).optional(),
    label2id: z.record(z.string(), z.number().int().nonnegative()).optional(),
    // Read by HF when id2label is absent; HF itself does not write it.
    num_labels: positiveInt.optional(),
    problem_type: z
      .literal('single_label_classification', {
        error: 'only "single_label_classification" (cross-entropy) is implemented; regression and multi-label are not',
      })
      .nullable()
      .optional(),
  })
  .superRefine((config, ctx) => {
    for (const issue of crossFieldIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  }, { when: (payload) => isObject(payload.value) });

export type BertConfig = z.output<typeof BertConfigSchema>;

/** Validates `json` (already parsed) as a BertConfig; `file` names the source in the error. */
export function parseBertConfig(json: unknown, file: string): BertConfig {
  return parseConfigWith(BertConfigSchema, json, file, (raw) => crossFieldIssues({ ...defaults(), ...raw }));
}

/**
 * Parses `json` with a family's config schema, freezing the result; on failure one CONFIG_INVALID
 * error lists every invalid field. zod skips object-level refinements after some field errors (a
 * non-integer, say), so `rawIssues` runs the cross-field rules on the raw fields too.
 */
export function parseConfigWith<T extends z.ZodType>(
  schema: T,
  json: unknown,
  file: string,
  rawIssues: (raw: Record<string, unknown>) => FieldIssue[],
): Readonly<z.output<T>> {
  const result = schema.safeParse(json);
  if (result.success) return Object.freeze(result.data as z.output<T>);
  const issues: ConfigIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.join('.'),
    message: issue.message,
  }));
  if (isObject(json)) {
    for (const issue of rawIssues(json)) {
      const path = issue.path.join('.');
      if (!issues.some((known) => known.path === path && known.message === issue.message)) issues.push({ path, message: issue.message });
    }
  }
  const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  throw new ConfigError('CONFIG_INVALID', file, `${issues.length} invalid field(s): ${list}`, issues);
}

let cachedDefaults: BertConfig | undefined;
function defaults(): BertConfig {
  cachedDefaults ??= BertConfigSchema.parse({});
  return cachedDefaults;
}

/** Number of classifier outputs: id2label's size, else num_labels, else 2 (Hugging Face's default). */
export function numLabels(config: { readonly id2label?: Record<string, string>; readonly num_labels?: number }): number {
  if (config.id2label !== undefined) return Object.keys(config.id2label).length;
  return config.num_labels ?? 2;
}

/**
 * Rules that relate fields. Each one runs only when the fields it reads are individually valid,
 * so one pass reports every problem.
 */
export interface FieldIssue {
  path: string[];
  message: string;
}

export function crossFieldIssues(
  config: Record<string, unknown>,
  fields: { hidden: string; heads: string } = { hidden: 'hidden_size', heads: 'num_attention_heads' },
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { pad_token_id: pad, vocab_size: vocab } = config;
  const hidden = config[fields.hidden];
  const heads = config[fields.heads];
  if (isPositiveInt(hidden) && isPositiveInt(heads) && hidden % heads !== 0) {
    issues.push({ path: [fields.hidden], message: `${fields.hidden} ${hidden} is not divisible by ${fields.heads} ${heads}` });
  }
  if (isPositiveInt(vocab) && typeof pad === 'number' && Number.isInteger(pad) && pad >= vocab) {
    issues.push({ path: ['pad_token_id'], message: `pad_token_id ${pad} is not below vocab_size ${vocab}` });
  }
  issues.push(...labelIssues(config.id2label, config.label2id, config.num_labels));
  return issues;
}

function labelIssues(id2label: unknown, label2id: unknown, numLabelsField: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = isObject(id2label) ? Object.keys(id2label).filter((key) => intKey.test(key)).map(Number) : undefined;
  if (ids !== undefined && ids.length === Object.keys(id2label as object).length) {
    const sorted = [...ids].sort((a, b) => a - b);
    if (sorted.some((id, i) => id !== i)) {
      issues.push({ path: ['id2label'], message: `ids must be 0..${ids.length - 1} with none missing, got [${sorted.join(', ')}]` });
    }
    if (isPositiveInt(numLabelsField) && numLabelsField !== ids.length) {
      issues.push({ path: ['num_labels'], message: `num_labels ${numLabelsField} differs from the ${ids.length} entries of id2label` });
    }
  }
  if (isObject(id2label) && isObject(label2id)) {
    for (const [id, label] of Object.entries(id2label)) {
      if (typeof label === 'string' && label2id[label] !== Number(id)) {
        issues.push({ path: ['label2id', label], message: `id2label maps ${id} to "${label}" but label2id maps "${label}" to ${JSON.stringify(label2id[label])}` });
      }
    }
    for (const [label, id] of Object.entries(label2id)) {
      if (typeof id === 'number' && id2label[String(id)] === undefined) {
        issues.push({ path: ['label2id', label], message: `label2id maps "${label}" to ${id}, which id2label does not have` });
      }
    }
  }
  return issues;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
