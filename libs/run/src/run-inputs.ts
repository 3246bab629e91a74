import { encodeExamples, encodeTaggedSentences, readConll, readExamples, type EncodedDataset, type LabelMap } from '@tunefleet/data';
import { loadPretrained, type BertModel } from '@tunefleet/model';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { classificationComputeMetrics, type ComputeMetrics } from '@tunefleet/trainer';
import type { RunArguments } from './run-arguments.ts';
import { runArgumentsFromWire, type RunArgumentsWire } from './wire-run-arguments.ts';

/** Everything a run (or one rank of a job) reads before training. */
export interface RunInputs {
  readonly model: BertModel;
  readonly tokenizer: BertTokenizer;
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
  const tokenizer = await BertTokenizer.fromPretrained(run.model_name_or_path);
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
