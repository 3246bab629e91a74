import { encodeExamples, encodeTaggedSentences, readConll, readExamples, type EncodedDataset, type LabelMap } from '@tunefleet/data';
import { loadPretrained, type BertModel, type ModelTask } from '@tunefleet/model';
import type { JobSpec } from '@tunefleet/proto';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { classificationComputeMetrics, type ComputeMetrics } from '@tunefleet/trainer';
import { WorkerError } from './worker-error.ts';

// The coordinator fills max_seq_length in; kept for specs stored before the field existed (the CLI's default).
const DEFAULT_MAX_SEQ_LENGTH = 128;

/** Everything a rank reads from the shared folder before training. */
export interface JobInputs {
  readonly model: BertModel;
  readonly tokenizer: BertTokenizer;
  readonly trainSet: EncodedDataset;
  readonly evalSet?: EncodedDataset;
  readonly computeMetrics: ComputeMetrics;
}

/** What a run reads, named as run_glue names it; from a job spec (workers) or the CLI's run arguments. */
export interface RunInputsSpec {
  readonly model: string;
  readonly task: ModelTask;
  readonly trainFile: string;
  /** Empty or absent: no evaluation set. */
  readonly validationFile?: string;
  readonly textColumn?: string;
  readonly textPairColumn?: string;
  readonly labelColumn?: string;
  readonly maxSeqLength: number;
  readonly skipBadRows: boolean;
}

/** The inputs of a cluster job: its spec's paths and columns. */
export function loadJobInputs(spec: JobSpec, seed: number, log: (line: string) => void): Promise<JobInputs> {
  return loadRunInputs(
    {
      model: spec.modelNameOrPath,
      task: spec.task as ModelTask,
      trainFile: spec.trainFile,
      validationFile: spec.validationFile,
      textColumn: spec.textColumn,
      textPairColumn: spec.textPairColumn,
      labelColumn: spec.labelColumn,
      maxSeqLength: spec.maxSeqLength || DEFAULT_MAX_SEQ_LENGTH,
      skipBadRows: spec.skipBadRows ?? false,
    },
    seed,
    log,
  );
}

/**
 * Reads tokenizer, data and model, the same for `tunefleet train` and every rank of a cluster job
 * (same columns, truncation and bad-row policy for the train and validation files). Every rank reads
 * the whole training file (the shard is a view of it), so every rank builds the same label map; the
 * head, when new, is initialised from `seed` so ranks start equal. Data is read before the model,
 * so a bad row stops the run before anything heavy is loaded.
 */
export async function loadRunInputs(spec: RunInputsSpec, seed: number, log: (line: string) => void): Promise<JobInputs> {
  const task = spec.task;
  if (task !== 'sequence-classification' && task !== 'token-classification') {
    throw new WorkerError('TASK_UNSUPPORTED', `task "${spec.task}" is not supported for fine-tuning runs; use sequence-classification or token-classification.`);
  }
  const tokenizer = await BertTokenizer.fromPretrained(spec.model);
  const encodeOptions = { maxLength: spec.maxSeqLength, padId: tokenizer.padTokenId };
  const skipBadRows = spec.skipBadRows;
  const reportSkipped = (set: { file: string; badRows: readonly unknown[] }): void => {
    if (set.badRows.length > 0) log(`${set.file}: skipped ${set.badRows.length} bad rows`);
  };
  let labelMap: LabelMap;
  let trainSet: EncodedDataset;
  let evalSet: EncodedDataset | undefined;
  if (task === 'sequence-classification') {
    const columns = { textColumn: spec.textColumn, textPairColumn: spec.textPairColumn, labelColumn: spec.labelColumn || 'label', skipBadRows };
    const train = await readExamples(spec.trainFile, columns);
    reportSkipped(train);
    labelMap = train.labelMap!;
    trainSet = encodeExamples(train.examples, tokenizer, encodeOptions);
    if (spec.validationFile) {
      const validation = await readExamples(spec.validationFile, { ...columns, labelMap });
      reportSkipped(validation);
      evalSet = encodeExamples(validation.examples, tokenizer, encodeOptions);
    }
  } else {
    const train = await readConll(spec.trainFile, { skipBadRows });
    reportSkipped(train);
    labelMap = train.labelMap;
    trainSet = encodeTaggedSentences(train.sentences, tokenizer, encodeOptions);
    if (spec.validationFile) {
      const validation = await readConll(spec.validationFile, { labelMap, skipBadRows });
      reportSkipped(validation);
      evalSet = encodeTaggedSentences(validation.sentences, tokenizer, encodeOptions);
    }
  }
  const numLabels = Object.keys(labelMap.label2id).length;
  const { model } = await loadPretrained(spec.model, {
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
