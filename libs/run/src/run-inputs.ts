import { encodeExamples, encodeTaggedSentences, readConll, readExamples, type EncodedDataset, type LabelMap } from '@tunefleet/data';
import { loadPretrained, type PretrainedModel } from '@tunefleet/model';
import { loadTokenizer, type PretrainedTokenizer } from '@tunefleet/tokenizer';
import { classificationComputeMetrics, type ComputeMetrics } from '@tunefleet/trainer';
import type { RunArguments } from './run-arguments.ts';
import { runArgumentsFromWire, type RunArgumentsWire } from './wire-run-arguments.ts';
import { checkLabelKinds, checkSequenceLength } from './preflight.ts';

/** Everything a run (or one rank of a job) reads before training. */
export interface RunInputs {
  /** Any supported family (BERT, DistilBERT, RoBERTa, XLM-R), from the checkpoint's config.json. */
  readonly model: PretrainedModel;
  /** WordPiece, byte-level BPE or Unigram, from the checkpoint's tokenizer files. */
  readonly tokenizer: PretrainedTokenizer;
  readonly trainSet: EncodedDataset;
  readonly evalSet?: EncodedDataset;
  readonly computeMetrics: ComputeMetrics;
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
  // Pre-flight: a sequence longer than the position table is refused before any row is read.
  await checkSequenceLength(run.model_name_or_path, run.max_seq_length);
  const tokenizer = await loadTokenizer(run.model_name_or_path);
  const encodeOptions = { maxLength: run.max_seq_length, padId: tokenizer.padTokenId };
  const skipBadRows = run.skip_bad_rows;
  const reportSkipped = (set: { file: string; badRows: readonly unknown[] }): void => {
    if (set.badRows.length > 0) log(`${set.file}: skipped ${set.badRows.length} bad rows`);
  };
  let labelMap: LabelMap;
  let trainSet: EncodedDataset;
  let evalSet: EncodedDataset | undefined;
  if (task === 'sequence-classification') {
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
    trainSet = encodeTaggedSentences(train.sentences, tokenizer, encodeOptions);
    if (run.validation_file) {
      const validation = await readConll(run.validation_file, { labelMap, skipBadRows });
      reportSkipped(validation);
      evalSet = encodeTaggedSentences(validation.sentences, tokenizer, encodeOptions);
    }
  }
  const numLabels = Object.keys(labelMap.label2id).length;
  const { model } = await loadPretrained(run.model_name_or_path, {
    task,
    numLabels,
    id2label: labelMap.id2label,
    label2id: labelMap.label2id,
    seed,
    log,
  });
  // Accuracy/F1 over classes; token classification's -100 positions are skipped by the metric.
  const computeMetrics = classificationComputeMetrics(numLabels);
  return { model, tokenizer, trainSet, computeMetrics, ...(evalSet ? { evalSet } : {}) };
}
