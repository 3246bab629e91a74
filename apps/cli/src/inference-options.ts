import { fieldIssues, RunArgumentsSchema, RunSpecError } from '@tunefleet/run';
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
}).extend(ProcessOptionsSchema.shape);

export type InferenceOptions = Readonly<z.output<typeof InferenceOptionsSchema>>;

/** The flags of evaluate/predict that are schema fields; `predict` has no labels. */
export const EVALUATE_FLAG_KEYS = Object.keys(InferenceOptionsSchema.shape);
export const PREDICT_FLAG_KEYS = EVALUATE_FLAG_KEYS.filter((key) => key !== 'label_column');

/** commander's option bag -> InferenceOptions; every invalid field in one RunSpecError. */
export function parseInferenceOptions(values: Record<string, unknown>, source: string): InferenceOptions {
  const input = optionValuesToKeys(values, InferenceOptionsSchema.shape);
  const result = InferenceOptionsSchema.safeParse(input);
  if (!result.success) throw new RunSpecError(source, fieldIssues(result.error.issues, input, InferenceOptionsSchema.shape));
  return Object.freeze(result.data);
}
