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

/**
 * The heads a run trains: masked-lm continues (or starts) pretraining on plain text, one text per
 * line; causal-lm trains a decoder (GPT-2, Llama / Qwen2) on plain text or chat JSONL; translation
 * trains an encoder-decoder (Marian) on source/target pairs.
 */
export const RunTaskSchema = z.enum(['sequence-classification', 'token-classification', 'masked-lm', 'causal-lm', 'translation']);
// run_clm's default block size when the model's context is longer (it caps model_max_length at 1024).
export const DEFAULT_BLOCK_SIZE_CAP = 1024;
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
  train_file: nonEmpty.describe('training data (.csv, .tsv, .jsonl; CoNLL for token-classification; plain text, one line each, for masked-lm; for causal-lm chat JSONL ({"messages": [{role, content}]}, .jsonl/.json) or plain text (any other extension))'),
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
  line_by_line: z.boolean().default(false).describe('masked-lm, causal-lm plain text: one example per line (truncated) instead of lines packed into blocks of max_seq_length (masked-lm) or block_size (causal-lm)'),
  // HF DataCollatorForLanguageModeling's default and BERT's 15%.
  mlm_probability: z.number().gt(0).lt(1).default(0.15).describe('masked-lm: share of tokens selected for prediction (80% become [MASK], 10% random, 10% unchanged)'),
  whole_word_mask: z.boolean().default(false).describe('masked-lm: select whole words, every sub-token of a selected word predicted'),
  // Causal LM (issue 15). Unset: run_clm's min(model context, 1024).
  block_size: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe("causal-lm: tokens per row: plain text is cut into blocks of this size, conversations are truncated (or packed) to it (default: the model's context, at most 1024)"),
  // On by default (TRL's default is off): a chat model should learn to answer, not to write the user's turns.
  assistant_only_loss: z.boolean().default(true).describe('causal-lm chat data: loss on the assistant turns only (their content and end-of-turn marker); false: on every token'),
  // TRL's name; off: one conversation per row.
  packing: z.boolean().default(false).describe('causal-lm chat data: pack whole short conversations into rows of up to block_size tokens'),
  // truncate: TRL's keep_start truncation, counted in the log; error: the row is reported as bad.
  long_conversation_strategy: z
    .enum(['truncate', 'error'])
    .default('truncate')
    .describe('causal-lm chat data, a conversation longer than block_size: keep its first block_size tokens (counted), or report it as a bad row'),
  // Translation (issue 14), run_translation's names. Pairs come from line-aligned files (source_file
  // + target_file; train_file defaults to source_file) or from train_file as run_translation's JSONL.
  source_file: nonEmpty.optional().describe('translation: training sources, one a line, aligned with --target-file (.gz too; default: --train-file)'),
  target_file: nonEmpty.optional().describe('translation: training targets, line i translating line i of --source-file (.gz too)'),
  validation_source_file: nonEmpty.optional().describe('translation: evaluation sources, aligned with --validation-target-file'),
  validation_target_file: nonEmpty.optional().describe('translation: evaluation targets, aligned with --validation-source-file'),
  source_lang: nonEmpty.optional().describe('translation JSONL ({"translation": {"en": ..., "de": ...}}): the key of the source text, e.g. en'),
  target_lang: nonEmpty.optional().describe('translation JSONL: the key of the target text, e.g. de'),
  // Unset: nothing prepended (Marian); T5 needs its task prefix.
  source_prefix: z.string().optional().describe('translation: text put before every source, e.g. "translate English to German: " for T5'),
  // run_translation's defaults: 1024 source tokens, 128 target tokens.
  max_source_length: z.number().int().min(1).default(1024).describe('translation: truncate sources to at most this many tokens (counted in the log)'),
  max_target_length: z.number().int().min(1).default(128).describe('translation: targets longer than this are truncated (counted in the log) or fail (--on-long-target error)'),
  // truncate: run_translation's behaviour (it truncates silently; here the count is logged).
  on_long_target: z
    .enum(['truncate', 'error'])
    .default('truncate')
    .describe('translation, a target longer than max_target_length: truncate it (counted), or fail naming its file and line'),
  // LoRA (issue 15), PEFT's LoraConfig under TRL's flag names. Unset lora_r: full fine-tuning.
  lora_r: z.number().int().positive().optional().describe("causal-lm: train LoRA adapters of this rank instead of the whole model (base frozen; saves adapter_config.json + adapter_model.safetensors, PEFT's layout)"),
  // Unset: PEFT LoraConfig's defaults (libs/model DEFAULT_LORA_SETTINGS: lora_alpha 8, lora_dropout 0),
  // applied only when LoRA is on, so a full fine-tune's resolved arguments carry no LoRA fields.
  lora_alpha: z.number().positive().optional().describe("LoRA: the update is scaled by lora_alpha / lora_r (default 8, PEFT's)"),
  lora_dropout: z.number().min(0).lt(1).optional().describe("LoRA: dropout on the adapters' input while training (default 0, PEFT's)"),
  // Unset: PEFT's per-family default (gpt2 c_attn; llama, qwen2 q_proj and v_proj).
  lora_target_modules: z
    .array(nonEmpty)
    .optional()
    .describe('LoRA: module names to adapt (a module matches when its path ends with .NAME), or all-linear (default: gpt2 c_attn; llama, qwen2 q_proj and v_proj)'),
  // Slice metrics, model card and regression gate (issue 17): unset means not computed / not gated.
  group_column: nonEmpty
    .optional()
    .describe('column of the evaluation data whose values are groups: every metric per group with its size, and the largest gap'),
  model_card_notes: nonEmpty.optional().describe("Markdown file with the model's intended uses and limitations, for the output directory's README.md"),
  baseline_model: nonEmpty.optional().describe('model directory the trained model must not regress from (with --gate; needs a validation file)'),
  gate: z
    .array(nonEmpty.refine(isGate, 'must be <metric><op><number>, e.g. "accuracy>=-0.5" (op one of >=, >, <=, <)'))
    .optional()
    .describe('regression gate against --baseline-model: "accuracy>=-0.5" lets accuracy drop at most 0.5 points'),
});

/** Parsed run arguments, defaults filled in. */
export type RunArguments = Readonly<z.output<typeof RunArgumentsSchema>>;
