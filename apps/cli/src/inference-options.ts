import { fieldIssues, RunArgumentsSchema, RunSpecError } from '@tunefleet/run';
import { TrainingArgumentsSchema } from '@tunefleet/trainer';
import { z } from 'zod';
import { ProcessOptionsSchema } from './process-options.ts';
import { optionValuesToKeys } from './schema-flags.ts';

/**
 * What `evaluate` and `predict` read of a run: the model and the same column, truncation and
 * default rules as `train` (fields of the one RunArgumentsSchema, so an unset --text-column picks the
 * first of text, sentence, sentence1 here too), plus this process's backend.
 */
export const InferenceOptionsSchema = RunArgumentsSchema.pick({
  model_name_or_path: true,
  text_column: true,
  text_pair_column: true,
  label_column: true,
  max_seq_length: true,
  group_column: true,
  long_text_strategy: true,
  stride: true,
  source_lang: true,
  target_lang: true,
  source_prefix: true,
  max_source_length: true,
  max_target_length: true,
})
  .extend({
    // Translation models: --file holds the sources, this file the reference translations (or --file is run_translation's JSONL).
    target_file: RunArgumentsSchema.shape.target_file.describe('translation: reference translations, line i translating line i of --file (.gz too); without it --file is JSONL read with --source-lang/--target-lang'),
    // Seq2SeqTrainingArguments' names; unset: the model's generation_config.json.
    generation_max_length: TrainingArgumentsSchema.shape.generation_max_length.describe("translation: max_length of generated translations, the decoder start token counted (default: the model's generation config)"),
    generation_num_beams: TrainingArgumentsSchema.shape.generation_num_beams.describe("translation: beams of beam search, 1 = greedy (default: the model's generation config)"),
  })
  .extend(ProcessOptionsSchema.shape);

export type InferenceOptions = Readonly<z.output<typeof InferenceOptionsSchema>>;

/**
 * `inspect-data`: train's files and columns, any split optional, plus a test file; the model only
 * for its tokenizer (token lengths and truncation against max_seq_length), optional too.
 */
export const InspectDataOptionsSchema = RunArgumentsSchema.pick({
  text_column: true,
  text_pair_column: true,
  label_column: true,
  max_seq_length: true,
}).extend({
  model_name_or_path: RunArgumentsSchema.shape.model_name_or_path.optional().meta({
    flag: 'model',
    description: 'model directory whose tokenizer counts tokens (lengths and truncation at --max-seq-length); default: no token counts',
  }),
  train_file: RunArgumentsSchema.shape.train_file.optional().describe('training data (.csv, .tsv, .jsonl); leakage is measured against it'),
  validation_file: RunArgumentsSchema.shape.validation_file,
  test_file: z.string().min(1).optional().describe('test data, read with the same columns (unlabelled is fine)'),
});

export type InspectDataOptions = Readonly<z.output<typeof InspectDataOptionsSchema>>;

export function parseInspectDataOptions(values: Record<string, unknown>): InspectDataOptions {
  const input = optionValuesToKeys(values, InspectDataOptionsSchema.shape);
  const result = InspectDataOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError('inspect-data flags', fieldIssues(result.error.issues, input, InspectDataOptionsSchema.shape));
  return Object.freeze(result.data);
}

/** The flags of evaluate/predict that are schema fields; `predict` has no labels. */
export const EVALUATE_FLAG_KEYS = Object.keys(InferenceOptionsSchema.shape);
const EVALUATE_ONLY = new Set(['label_column', 'group_column', 'target_file', 'target_lang', 'max_target_length']);
export const PREDICT_FLAG_KEYS = EVALUATE_FLAG_KEYS.filter((key) => !EVALUATE_ONLY.has(key));

/** `compare`: evaluate's fields without the one model (it takes two `--model` flags). */
export const CompareOptionsSchema = InferenceOptionsSchema.omit({
  model_name_or_path: true,
  // compare scores sequence-classification models only
  source_lang: true,
  target_lang: true,
  source_prefix: true,
  max_source_length: true,
  max_target_length: true,
  target_file: true,
  generation_max_length: true,
  generation_num_beams: true,
});
export type CompareOptions = Readonly<z.output<typeof CompareOptionsSchema>>;
export const COMPARE_FLAG_KEYS = Object.keys(CompareOptionsSchema.shape);

export function parseCompareOptions(values: Record<string, unknown>): CompareOptions {
  const input = optionValuesToKeys(values, CompareOptionsSchema.shape);
  const result = CompareOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError('compare flags', fieldIssues(result.error.issues, input, CompareOptionsSchema.shape));
  return Object.freeze(result.data);
}

/** commander's option bag -> InferenceOptions; every invalid field in one RunSpecError. */
export function parseInferenceOptions(values: Record<string, unknown>, source: string): InferenceOptions {
  const input = optionValuesToKeys(values, InferenceOptionsSchema.shape);
  const result = InferenceOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, InferenceOptionsSchema.shape));
  return Object.freeze(result.data);
}
