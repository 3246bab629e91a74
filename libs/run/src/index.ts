/**
 * @tunefleet/run: one run's configuration and the reading of what it trains on.
 *
 * - `RunArgumentsSchema`: run_glue's ModelArguments + DataTrainingArguments (model_name_or_path,
 *   task, files, columns, max_seq_length, skip_bad_rows), each field's default and help written once.
 * - `RunSpecSchema` / `RunSpec`: those plus transformers.TrainingArguments. `parseRunConfig` reads the
 *   flat form of `tunefleet train` (YAML + flags) and reports every invalid field of both halves in
 *   one RunSpecError; the coordinator's job spec is RunSpecSchema plus the cluster's fields.
 * - `ParallelArgumentsSchema`: gradient_dtype and collective_timeout_ms of a data-parallel run.
 * - `runArgumentsFromWire`: a gRPC JobSpec's run fields (structurally; no wire code here).
 * - `loadRunInputs` / `loadJobInputs`: tokenizer, data and model of a run, the same on every rank
 *   (causal-lm: `loadCausalLmInputs`, chat JSONL through the model's chat template or plain text).
 *   Translation: `loadTranslationInputs` (aligned files or run_translation JSONL, seq2seq batches,
 *   BLEU / chrF / gen_len; `evaluateGenerated` for predict_with_generate).
 * - `checkOutputDirWritable`, `checkCheckpointRoom`, `checkSequenceLength`, `checkLabelKinds`: the pre-flight
 *   checks before the first step (PreflightError).
 * - `flagOf` / `helpOf`: the CLI flag and help text of a schema field.
 * - `writeRunModelCard`: the output directory's README.md (model card) of a finished run or job.
 */
export {
  DEFAULT_BLOCK_SIZE_CAP,
  DEFAULT_LABEL_COLUMN,
  DEFAULT_MAX_SEQ_LENGTH,
  MAX_SEQ_LENGTH_LIMIT,
  RunArgumentsSchema,
  RunTaskSchema,
  type RunArguments,
  type RunTask,
} from './run-arguments.ts';
export { MODEL_ALIAS, overlayRunConfig } from './model-alias.ts';
export { DEFAULT_COLLECTIVE_TIMEOUT_MS, ParallelArgumentsSchema, type ParallelArguments } from './parallel-arguments.ts';
export { TrainingArgumentsField } from './training-arguments-field.ts';
export { fieldIssues, parseRunConfig, pickRunSpec, RunSpecSchema, type ParsedRunConfig, type RunSpec } from './run-spec.ts';
export { RunSpecError, type RunSpecErrorCode, type RunSpecIssue } from './run-spec-error.ts';
export { runArgumentsFromWire, runArgumentsInputFromWire, runArgumentsJsonOf, type RunArgumentsWire } from './wire-run-arguments.ts';
export { documentMetrics, loadJobInputs, loadRunInputs, longTextOptions, type RunInputs } from './run-inputs.ts';
export { isChatFile, loadCausalLmInputs, resolveBlockSize } from './causal-lm-inputs.ts';
export {
  loadTranslationInputs,
  readDecoderStartTokenId,
  readTranslationSet,
  translationEvaluation,
  translationIssues,
  translationSources,
  type GenerateTranslations,
  type TranslationReadOptions,
  type TranslationRunInputs,
  type TranslationSource,
} from './translation-inputs.ts';
export {
  checkCheckpointRoom,
  checkLabelKinds,
  checkOutputDirWritable,
  checkSequenceLength,
  checkpointBytes,
  parameterCountOf,
  readPositionTable,
  type EncodedFile,
  type PositionTable,
  type StatFs,
} from './preflight.ts';
export { PreflightError, type PreflightErrorCode } from './preflight-error.ts';
export { flagOf, helpOf } from './field-flags.ts';
export { readModelCardNotes, writeRunModelCard, type RunModelCardInput } from './model-card.ts';
export { frameworkVersions } from './model-card-versions.ts';
