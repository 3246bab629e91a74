import { parseGate } from '@tunefleet/trainer';
import { z } from 'zod';

// BERT's position table holds 512 positions; longer inputs cannot be embedded.
export const MAX_SEQ_LENGTH_LIMIT = 512;
// SST-2 sentences average ~20 word pieces, so 128 loses nothing (run_glue's default too).
export const DEFAULT_MAX_SEQ_LENGTH = 128;
// run_glue's and the datasets library's name for the label column.
export const DEFAULT_LABEL_COLUMN = 'label';

const nonEmpty = z.string().min(1, 'must not be empty');

/** What parseGate reads; checked with the other fields so a bad gate is reported in the same pass. */
function isGate(text: string): boolean {
  try {
    parseGate(text);
    return true;
  } catch {
    return false;
  }
}

/** The heads a run trains: masked-lm continues (or starts) pretraining on plain text, one text per line. */
export const RunTaskSchema = z.enum(['sequence-classification', 'token-classification', 'masked-lm']);
export type RunTask = z.infer<typeof RunTaskSchema>;

/**
 * What run_glue calls ModelArguments and DataTrainingArguments: the model a run starts from and the
 * data it reads. Written once for `tunefleet train` (YAML and flags), `evaluate`, `predict` and the
 * job spec, so a field, its default and its help text cannot drift between them. Keys are
 * Hugging Face's snake_case names; `meta({ flag })` names a CLI flag that differs from the key.
 */
export const RunArgumentsSchema = z.strictObject({
  model_name_or_path: nonEmpty.meta({
    flag: 'model',
    description:
      'pretrained model: a directory in Hugging Face layout (config.json, safetensors or pytorch_model.bin, sharded or not, tokenizer) or a hub repo id ORG/NAME, downloaded into the Hugging Face cache; YAML key model_name_or_path or model',
  }),
  task: RunTaskSchema.default('sequence-classification').describe('head to fine-tune (token-classification reads CoNLL files)'),
  train_file: nonEmpty.describe('training data (.csv, .tsv, .jsonl; CoNLL for token-classification; plain text, one line each, for masked-lm)'),
  // Empty or unset: no evaluation data (a gRPC JobSpec sends "" for unset).
  validation_file: z.string().optional().describe('evaluation data, read with the same columns'),
  // Unset: the first of text, sentence, sentence1 that the file has (libs/data decides).
  text_column: nonEmpty.optional().describe('column holding the text (default: the first of text, sentence, sentence1 in the file)'),
  text_pair_column: nonEmpty.optional().describe('column holding the second text of a pair'),
  label_column: nonEmpty.default(DEFAULT_LABEL_COLUMN).describe('column holding the label'),
  max_seq_length: z
    .number()
    .int()
    .min(1)
    .max(MAX_SEQ_LENGTH_LIMIT)
    .default(DEFAULT_MAX_SEQ_LENGTH)
    .describe('truncate to at most this many tokens (padding is per batch)'),
  // Stopping at the first bad file is the safe default: a silently shrunk dataset is a wrong result.
  skip_bad_rows: z.boolean().default(false).describe('skip and count bad rows instead of stopping'),
  // Tasks (issue 13). Off by default: only a word's first sub-token is labelled (HF run_ner's default).
  label_all_tokens: z
    .boolean()
    .default(false)
    .describe("token-classification: label every sub-token of a word (its tag on the first, the I- form on the others), not only the first; evaluation still scores words"),
  // head: what the tokenizer's truncation does, so a run that never sets it reads as before.
  long_text_strategy: z
    .enum(['head', 'tail', 'head-tail', 'sliding-window'])
    .default('head')
    .describe('sequence-classification, texts longer than max_seq_length: keep the head, the tail, a quarter head + three quarters tail, or every sliding window (logits averaged per text)'),
  // Unset: a quarter of the window (max_seq_length - 2 tokens).
  stride: z.number().int().min(0).optional().describe('sliding-window: tokens two consecutive windows share (default: a quarter of max_seq_length - 2)'),
  // HF run_mlm's default: pack lines into blocks (line_by_line False).
  line_by_line: z.boolean().default(false).describe('masked-lm: one example per line (truncated) instead of lines packed into blocks of max_seq_length'),
  // HF DataCollatorForLanguageModeling's default and BERT's 15%.
  mlm_probability: z.number().gt(0).lt(1).default(0.15).describe('masked-lm: share of tokens selected for prediction (80% become [MASK], 10% random, 10% unchanged)'),
  whole_word_mask: z.boolean().default(false).describe('masked-lm: select whole words, every sub-token of a selected word predicted'),
  // Slice metrics, model card and regression gate (issue 17): unset means not computed / not gated.
  group_column: nonEmpty
    .optional()
    .describe('column of the evaluation data whose values are groups: every metric per group with its size, and the largest gap'),
  model_card_notes: nonEmpty.optional().describe("Markdown file with the model's intended uses and limitations, for the output directory's README.md"),
  baseline_model: nonEmpty.optional().describe('model directory the trained model must not regress from (with --gate; needs a validation file)'),
  gate: z
    .array(nonEmpty.refine(isGate, 'must be <metric><op><number>, e.g. "accuracy>=-0.5" (op one of >=, >, <=, <)'))
    .optional()
    .describe('regression gate against --baseline-model, repeatable: "accuracy>=-0.5" lets accuracy drop at most 0.5 points'),
});

/** Parsed run arguments, defaults filled in. */
export type RunArguments = Readonly<z.output<typeof RunArgumentsSchema>>;
