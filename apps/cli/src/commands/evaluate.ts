import { encodeExamples, MISSING_GROUP, readExamples, readGroupColumn, type Example, type LabelMap } from '@tunefleet/data';
import {
  argmaxLastAxis,
  classificationComputeMetrics,
  classificationMetric,
  sliceMetrics,
  summarizeSlices,
  type SliceReport,
} from '@tunefleet/trainer';
import { startBackend } from '../backend.ts';
import { CliConfigError } from '../cli-config-error.ts';
import type { InferenceOptions } from '../inference-options.ts';
import { inferenceTrainer, loadModelDirectory } from '../inference.ts';
import { evaluateLongTexts, evaluateTokenClassification, modelTaskOf } from '../inference-tasks.ts';

export interface EvaluateOptions extends InferenceOptions {
  readonly file: string;
  readonly batchSize: number;
}

/** `tunefleet evaluate`: metrics of a saved model on a labelled file (and per group with --group-column), as JSON on stdout. */
export async function runEvaluate(options: EvaluateOptions): Promise<number> {
  await startBackend(options);
  // Token classification (entity F1 per type) and long texts (windows averaged per text): issue 13.
  const task = await modelTaskOf(options.model_name_or_path);
  if (task === 'token-classification') return evaluateTokenClassification(options);
  if (task === 'translation') {
    const { evaluateTranslation } = await import('../translation-tasks.ts');
    const metrics = await evaluateTranslation(options);
    process.stdout.write(`${JSON.stringify({ file: options.file, ...metrics }, null, 2)}\n`);
    return 0;
  }
  if (task === 'sequence-classification' && options.long_text_strategy !== 'head') return evaluateLongTexts(options);
  const scored = await scoreModel(options.model_name_or_path, options.file, options);
  const output: Record<string, unknown> = { file: options.file, examples: scored.examples.length, ...scored.metrics };
  if (options.group_column !== undefined) {
    const slices = await scoreSlices(scored, options.file, options.group_column);
    output['slices'] = { column: options.group_column, ...slices };
    process.stderr.write(`slice metrics by ${options.group_column}:\n${summarizeSlices(slices).join('\n')}\n`);
  }
  // JSON has no NaN: a diverged model's metrics are printed as "NaN"/"Infinity" (JSON.stringify would write null).
  process.stdout.write(`${JSON.stringify(output, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2)}\n`);
  return reportNonfinite(options.model_name_or_path, scored);
}

/**
 * A model whose loss or a metric is NaN or Inf (issue 10: a diverged or poisoned model) is not a
 * result: stderr names the metrics and the parameters holding NaN/Inf, and the exit code is 1.
 */
function reportNonfinite(modelDir: string, scored: ScoredModel): number {
  const metrics = Object.entries(scored.metrics).filter(([, value]) => !Number.isFinite(value));
  if (metrics.length === 0) return 0;
  const named = metrics.map(([key, value]) => `${key} ${value}`).join(', ');
  const params = scored.nonfiniteParameters;
  const weights =
    params.length === 0
      ? 'every weight is finite, so the logits overflow'
      : `${params.length} parameter(s) hold NaN or Inf: ${params.slice(0, 5).join(', ')}${params.length > 5 ? ', ...' : ''}`;
  process.stderr.write(`tunefleet: warning: ${modelDir} gives ${named}; ${weights}. This model is broken (training diverged); retrain it or use an earlier checkpoint.\n`);
  return 1;
}

/** What scoring a model on a labelled file gives: the Trainer's metrics and each example's predicted class. */
export interface ScoredModel {
  readonly model: string;
  readonly examples: readonly Example[];
  readonly labelMap: LabelMap;
  /** Class id per example (argmax of the logits). */
  readonly predictions: Int32Array;
  readonly labels: Int32Array;
  /** `eval_loss`, `eval_accuracy`, ... as `tunefleet evaluate` prints them. */
  readonly metrics: Record<string, number>;
  /** Parameters holding NaN or Inf; looked for only when a metric is not finite (else empty). */
  readonly nonfiniteParameters: readonly string[];
}

export type ScoreOptions = Pick<InferenceOptions, 'text_column' | 'text_pair_column' | 'label_column' | 'max_seq_length'> & {
  readonly batchSize: number;
};

/**
 * Loads a sequence-classification model directory, scores it on `file` with its own label map and
 * disposes it: the one evaluation behind evaluate, compare and train's regression gate.
 */
export async function scoreModel(modelDir: string, file: string, options: ScoreOptions): Promise<ScoredModel> {
  const { model, tokenizer, labelMap, task } = await loadModelDirectory(modelDir);
  try {
    if (task !== 'sequence-classification') {
      throw new CliConfigError(`${modelDir}: evaluate, compare and the regression gate support sequence-classification models, this one is ${task}`);
    }
    const set = await readExamples(file, {
      textColumn: options.text_column,
      textPairColumn: options.text_pair_column,
      labelColumn: options.label_column,
      labelMap,
    });
    const dataset = encodeExamples(set.examples, tokenizer, { maxLength: options.max_seq_length, padId: tokenizer.padTokenId });
    const numLabels = Object.keys(labelMap.label2id).length;
    const output = await inferenceTrainer(model, options.batchSize, classificationComputeMetrics(numLabels)).predict(dataset, 'eval');
    const labels = Int32Array.from(set.examples, (example) => example.labelId!);
    const isFinite = Object.values(output.metrics).every(Number.isFinite);
    const nonfiniteParameters = isFinite ? [] : [...model.parameters].filter(([, v]) => v.dataSync().some((x) => !Number.isFinite(x))).map(([name]) => name);
    const predictions = argmaxLastAxis(output.logits, output.shape);
    return { model: modelDir, examples: set.examples, labelMap, predictions, labels, metrics: output.metrics, nonfiniteParameters };
  } finally {
    model.dispose();
  }
}

/** Every metric per value of `column` (read from the same file), with sizes, gaps and too-small groups. */
export async function scoreSlices(scored: ScoredModel, file: string, column: string): Promise<SliceReport> {
  const groups = await readGroupColumn(file, column, scored.examples);
  const missing = groups.filter((group) => group === MISSING_GROUP).length;
  if (missing > 0) process.stderr.write(`${file}: ${missing} rows have no value in ${column}; they form the group ${MISSING_GROUP}\n`);
  const numLabels = Object.keys(scored.labelMap.label2id).length;
  return sliceMetrics({ predictions: scored.predictions, labels: scored.labels, groups, metric: classificationMetric(numLabels) });
}
