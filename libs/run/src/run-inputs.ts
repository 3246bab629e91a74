import {
  averageWindowLogits,
  encodeExamples,
  encodeLongTexts,
  encodeMaskedLmTexts,
  encodeTaggedSentences,
  readConll,
  readExamples,
  readTextLines,
  type EncodedDataset,
  type Example,
  type LabelMap,
} from '@tunefleet/data';
import { applyLora, LoraError, loadPretrained, type LoraModel, type PretrainedModel } from '@tunefleet/model';
import { loadTokenizer, type PretrainedTokenizer } from '@tunefleet/tokenizer';
import { classificationComputeMetrics, entityComputeMetrics, maskedLmEvaluation, type ComputeMetrics, type GenerationMetrics, type PreprocessLogitsForMetrics } from '@tunefleet/trainer';
import type { RunArguments } from './run-arguments.ts';
import { runArgumentsFromWire, type RunArgumentsWire } from './wire-run-arguments.ts';
import { checkLabelKinds, checkSequenceLength, readPositionTable } from './preflight.ts';
import { loadCausalLmInputs } from './causal-lm-inputs.ts';
import { loadTranslationInputs } from './translation-inputs.ts';

/** Everything a run (or one rank of a job) reads before training. */
export interface RunInputs {
  /** Any supported family (BERT, DistilBERT, RoBERTa, XLM-R; GPT-2, Llama / Qwen2 for causal-lm), from the checkpoint's config.json. */
  readonly model: PretrainedModel | LoraModel;
  /** WordPiece, byte-level BPE or Unigram, from the checkpoint's tokenizer files. */
  readonly tokenizer: PretrainedTokenizer;
  readonly trainSet: EncodedDataset;
  readonly evalSet?: EncodedDataset;
  readonly computeMetrics: ComputeMetrics;
  /** Reduces each evaluation batch's logits before they are gathered (language models: 2 numbers a token, not the vocabulary). */
  readonly preprocessLogitsForMetrics?: PreprocessLogitsForMetrics;
  /** Seq2seq: metrics of generated output, used when predict_with_generate is on. */
  readonly generationMetrics?: GenerationMetrics;
}

/** The inputs of a cluster job: its spec's paths and columns (defaults for fields it leaves unset). */
export function loadJobInputs(spec: RunArgumentsWire, seed: number, log: (line: string) => void): Promise<RunInputs> {
  return loadRunInputs(runArgumentsFromWire(spec, 'job spec'), seed, log);
}

/**
 * Reads tokenizer, data and model, the same for `tunefleet train` and every rank of a cluster job
 * (same columns, truncation and bad-row policy for the train and validation files). Every rank reads
 * the whole training file (the shard is a view of it), so every rank builds the same label map; the
 * head, when new, is initialised from `seed` so ranks start equal. Data is read before the model,
 * so a bad row stops the run before anything heavy is loaded.
 */
export async function loadRunInputs(run: RunArguments, seed: number, log: (line: string) => void): Promise<RunInputs> {
  const { task } = run;
  if (run.lora_r !== undefined && task !== 'causal-lm') {
    throw new LoraError('LORA_UNSUPPORTED_MODEL', `lora_r (--lora-r): LoRA adapters train the causal-lm families (GPT-2, Llama, Qwen2), not task ${task}; drop --lora-r or use --task causal-lm`);
  }
  // Pre-flight: the model's position table, read before any row (max_seq_length is checked against it after encoding).
  const positions = await readPositionTable(run.model_name_or_path);
  const tokenizer = await loadTokenizer(run.model_name_or_path);
  const encodeOptions = { maxLength: run.max_seq_length, padId: tokenizer.padTokenId };
  const skipBadRows = run.skip_bad_rows;
  const reportSkipped = (set: { file: string; badRows: readonly unknown[] }): void => {
    if (set.badRows.length > 0) log(`${set.file}: skipped ${set.badRows.length} bad rows`);
  };
  if (task === 'masked-lm') return loadMaskedLmInputs(run, tokenizer, seed, log);
  if (task === 'causal-lm') return withLora(run, await loadCausalLmInputs(run, tokenizer, positions, seed, log), seed, log);
  if (task === 'translation') return loadTranslationInputs(run, tokenizer, seed, log);
  let labelMap: LabelMap;
  let trainSet: EncodedDataset;
  let evalSet: EncodedDataset | undefined;
  let windowedMetrics: ((numLabels: number) => ComputeMetrics) | undefined;
  if (task === 'sequence-classification' && run.long_text_strategy !== 'head') {
    const columns = { textColumn: run.text_column, textPairColumn: run.text_pair_column, labelColumn: run.label_column, skipBadRows };
    const train = await readExamples(run.train_file, columns);
    checkLabelKinds(run.train_file, run.label_column, train.examples);
    reportSkipped(train);
    labelMap = train.labelMap!;
    const longText = longTextOptions(run, tokenizer.padTokenId);
    trainSet = encodeLongTexts(train.examples, tokenizer, longText).dataset;
    if (run.validation_file) {
      const validation = await readExamples(run.validation_file, { ...columns, labelMap });
      reportSkipped(validation);
      const windows = encodeLongTexts(validation.examples, tokenizer, longText);
      evalSet = windows.dataset;
      log(`${run.validation_file}: ${windows.documents} texts in ${windows.dataset.size} rows (${run.long_text_strategy})`);
      windowedMetrics = (numLabels) => documentMetrics(windows, numLabels);
    }
    log(`${run.train_file}: ${train.examples.length} texts in ${trainSet.size} rows (${run.long_text_strategy})`);
  } else if (task === 'sequence-classification') {
    const columns = { textColumn: run.text_column, textPairColumn: run.text_pair_column, labelColumn: run.label_column, skipBadRows };
    const train = await readExamples(run.train_file, columns);
    checkLabelKinds(run.train_file, run.label_column, train.examples); // pre-flight: `0, 1, neg` is not three classes
    reportSkipped(train);
    labelMap = train.labelMap!;
    trainSet = encodeExamples(train.examples, tokenizer, encodeOptions);
    if (run.validation_file) {
      const validation = await readExamples(run.validation_file, { ...columns, labelMap });
      reportSkipped(validation);
      evalSet = encodeExamples(validation.examples, tokenizer, encodeOptions);
    }
  } else {
    const train = await readConll(run.train_file, { skipBadRows });
    reportSkipped(train);
    labelMap = train.labelMap;
    trainSet = encodeTaggedSentences(train.sentences, tokenizer, { ...encodeOptions, labelAllTokens: run.label_all_tokens, labelMap });
    if (run.validation_file) {
      const validation = await readConll(run.validation_file, { labelMap, skipBadRows });
      reportSkipped(validation);
      evalSet = encodeTaggedSentences(validation.sentences, tokenizer, encodeOptions);
    }
  }
  // Pre-flight: a row longer than the position table fails now, naming the flag and the row, not at its first batch.
  const encodedFiles = [{ file: run.train_file, dataset: trainSet }, ...(evalSet && run.validation_file ? [{ file: run.validation_file, dataset: evalSet }] : [])];
  checkSequenceLength(positions, run.max_seq_length, encodedFiles, log);
  const numLabels = Object.keys(labelMap.label2id).length;
  const { model } = await loadPretrained(run.model_name_or_path, {
    task,
    numLabels,
    id2label: labelMap.id2label,
    label2id: labelMap.label2id,
    seed,
    log,
  });
  // Accuracy/F1 over classes (per text with sliding windows); entity-level seqeval F1 for token classification.
  const computeMetrics =
    task === 'token-classification' ? entityComputeMetrics(labelMap.id2label) : (windowedMetrics?.(numLabels) ?? classificationComputeMetrics(numLabels));
  return { model, tokenizer, trainSet, computeMetrics, ...(evalSet ? { evalSet } : {}) };
}

/**
 * LoRA when lora_r is set (PEFT's get_peft_model): the base model frozen, adapters on the target
 * modules (lora_A drawn from `seed`, so every rank starts equal) the only trainable parameters.
 * `--lora-target-modules a,b` and a repeated flag both give a list; `all-linear` alone is PEFT's.
 */
function withLora(run: RunArguments, inputs: RunInputs, seed: number, log: (line: string) => void): RunInputs {
  if (run.lora_r === undefined) return inputs;
  const names = (run.lora_target_modules ?? []).flatMap((name) => name.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  let lora: LoraModel;
  try {
    lora = applyLora(inputs.model, {
      r: run.lora_r,
      ...(run.lora_alpha === undefined ? {} : { loraAlpha: run.lora_alpha }),
      ...(run.lora_dropout === undefined ? {} : { loraDropout: run.lora_dropout }),
      targetModules: names.length === 1 && names[0] === 'all-linear' ? 'all-linear' : names,
      seed,
      baseModelNameOrPath: run.model_name_or_path,
    });
  } catch (error) {
    inputs.model.dispose();
    throw error;
  }
  let trainable = 0;
  for (const variable of lora.parameters.values()) trainable += variable.size;
  let total = trainable;
  for (const variable of lora.base.parameters.values()) total += variable.size;
  const modules = [...new Set(lora.adapters.targets.map((m) => m.path.replace(/^.*\.(?:h|layers)\.\d+\./, '')))];
  log(`LoRA: r ${run.lora_r}, lora_alpha ${lora.adapters.settings.loraAlpha} (scaling ${lora.adapters.scaling}), ${lora.adapters.targets.length} modules (${modules.join(', ')}); ${trainable} trainable parameters of ${total} (${((100 * trainable) / total).toFixed(2)}%)`);
  return { ...inputs, model: lora };
}

/** long_text_strategy and stride as libs/data takes them; an unset stride is a quarter of the window. */
export function longTextOptions(run: Pick<RunArguments, 'max_seq_length' | 'long_text_strategy' | 'stride'>, padId: number) {
  const budget = run.max_seq_length - 2;
  return { maxLength: run.max_seq_length, padId, strategy: run.long_text_strategy, stride: run.stride ?? Math.floor(budget / 4) };
}

/** Classification metrics per text: each text's logits are the mean of its windows' (sliding-window). */
export function documentMetrics(windows: ReturnType<typeof encodeLongTexts>, numLabels: number): ComputeMetrics {
  const perText = classificationComputeMetrics(numLabels);
  return (prediction) =>
    perText({
      logits: averageWindowLogits(prediction.logits, numLabels, windows.documentOf, windows.documents),
      shape: [windows.documents, numLabels],
      ...(windows.documentLabels ? { labelIds: windows.documentLabels } : {}),
    });
}

/**
 * Masked LM: plain-text lines (blank lines skipped), packed into blocks of max_seq_length or one
 * per line (line_by_line), masked per (seed, epoch, example); the evaluation file's masks are those
 * of epoch 0, the same at every evaluation. The model is the checkpoint's encoder with its MLM
 * head (a new one when the checkpoint has none).
 */
async function loadMaskedLmInputs(run: RunArguments, tokenizer: PretrainedTokenizer, seed: number, log: (line: string) => void): Promise<RunInputs> {
  const options = {
    maxLength: run.max_seq_length,
    padId: tokenizer.padTokenId,
    lineByLine: run.line_by_line,
    mlmProbability: run.mlm_probability,
    wholeWordMask: run.whole_word_mask,
    maskTokenId: tokenizer.maskTokenId,
    vocabSize: tokenizer.vocabSize,
    seed,
  };
  const read = async (file: string) => {
    const set = await readTextLines(file, { skipBadRows: run.skip_bad_rows });
    if (set.badRows.length > 0) log(`${file}: skipped ${set.badRows.length} bad rows`);
    const dataset = encodeMaskedLmTexts(set.examples.map((example: Example) => example.text), tokenizer, options);
    log(`${file}: ${set.examples.length} lines in ${dataset.size} ${run.line_by_line ? 'lines' : `blocks of up to ${run.max_seq_length} tokens`}`);
    return dataset;
  };
  const trainSet = await read(run.train_file);
  const evalSet = run.validation_file ? await read(run.validation_file) : undefined;
  const { model } = await loadPretrained(run.model_name_or_path, { task: 'masked-lm', seed, log });
  return { model, tokenizer, trainSet, ...maskedLmEvaluation(), ...(evalSet ? { evalSet } : {}) };
}
