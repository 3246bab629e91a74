import { IGNORE_INDEX } from '@tunefleet/core';
import { TrainerError } from '../trainer-error.ts';
import type { ComputeMetrics } from '../trainer-types.ts';
import { argmaxLastAxis } from '../classification-metrics.ts';
import { corpusBleu } from './bleu.ts';
import { corpusChrf } from './chrf.ts';
import { EvaluationError } from './evaluation-error.ts';

/**
 * Translation metrics as Hugging Face's run_translation reports them (`eval_bleu`, `eval_gen_len`),
 * plus chrF: predictions and labels decoded with special tokens skipped (-100 read as pad),
 * stripped, scored with sacrebleu's corpus BLEU and chrF (one reference per example), and
 * `gen_len` the mean count of non-pad tokens of the predictions; every value rounded to 4 decimals
 * as run_translation rounds them.
 */
export interface TranslationMetricsOptions {
  /** ids -> text with special tokens skipped (the target side's decoder for Marian). */
  readonly decode: (ids: number[]) => string;
  readonly padTokenId: number;
}

export interface TranslationMetrics {
  readonly bleu: number;
  readonly chrf: number;
  readonly gen_len: number;
}

/** The metrics of per-example predicted ids against per-example label ids (-100 on padding). */
export function computeTranslationMetrics(
  predictions: readonly ArrayLike<number>[],
  labels: readonly ArrayLike<number>[],
  options: TranslationMetricsOptions,
): TranslationMetrics {
  if (predictions.length !== labels.length) {
    throw new EvaluationError(
      'EVALUATION_INPUT_INVALID',
      `translation metrics: ${predictions.length} predictions but ${labels.length} labelled examples; give one prediction per example.`,
    );
  }
  if (predictions.length === 0) throw new EvaluationError('EVALUATION_INPUT_INVALID', 'translation metrics: no examples to score.');
  const { decode, padTokenId } = options;
  const unpad = (ids: ArrayLike<number>): number[] => Array.from(ids, (id) => (id === IGNORE_INDEX ? padTokenId : id));
  const hypotheses = predictions.map((ids) => decode(unpad(ids)).trim());
  const references = labels.map((ids) => decode(unpad(ids)).trim());
  let generated = 0;
  for (const ids of predictions) for (const id of unpad(ids)) if (id !== padTokenId) generated++;
  return {
    bleu: round4(corpusBleu(hypotheses, [references]).score),
    chrf: round4(corpusChrf(hypotheses, [references]).score),
    gen_len: round4(generated / predictions.length),
  };
}

/** What translation evaluation reads of a batch (structurally a seq2seq `ModelBatch`). */
export interface LabelledTargetBatch {
  readonly batchSize: number;
  /** `[batch, targetLength]`, -100 on padding. */
  readonly labels?: Int32Array;
  readonly targetLength?: number;
}

/**
 * Seq2SeqTrainer's `predict_with_generate`: every batch's generated ids (one array per row, from
 * `generate`, e.g. greedy or beam search with generation_max_length / generation_num_beams) scored
 * against the batch's labels.
 */
export function evaluateGenerated<Batch extends LabelledTargetBatch>(
  batches: Iterable<Batch>,
  generate: (batch: Batch) => readonly ArrayLike<number>[],
  options: TranslationMetricsOptions,
): TranslationMetrics {
  const predictions: ArrayLike<number>[] = [];
  const labels: Int32Array[] = [];
  for (const batch of batches) {
    if (batch.batchSize === 0) continue;
    const generated = generate(batch);
    if (generated.length !== batch.batchSize) {
      throw new EvaluationError('EVALUATION_INPUT_INVALID', `generate returned ${generated.length} sequences for a batch of ${batch.batchSize}.`);
    }
    predictions.push(...generated);
    labels.push(...labelRows(batch));
  }
  return computeTranslationMetrics(predictions, labels, options);
}

/**
 * A Trainer `computeMetrics` without generation (predict_with_generate off): the argmax of the
 * teacher-forced logits `[examples, targetLength, vocab]` (or the ids `argmaxLogits` reduced them to,
 * `[examples, targetLength, 1]`) as each example's prediction, its padding
 * (label -100) positions dropped. Cheaper than generating, and an optimistic estimate of it.
 */
export function translationComputeMetrics(options: TranslationMetricsOptions): ComputeMetrics {
  return ({ logits, shape, labelIds }) => {
    if (labelIds === undefined || shape.length !== 3) {
      throw new TrainerError('LABELS_INVALID', 'translation metrics need [examples, targetLength] labels and [examples, targetLength, vocab] logits.');
    }
    const [examples, targetLength] = [shape[0]!, shape[1]!];
    // [examples, targetLength, 1]: argmaxLogits already reduced each batch to its ids.
    const predicted = shape[2] === 1 ? Int32Array.from(logits) : argmaxLastAxis(logits, shape);
    const predictions: number[][] = [];
    const labels: Int32Array[] = [];
    for (let row = 0; row < examples; row++) {
      const rowLabels = labelIds.subarray(row * targetLength, (row + 1) * targetLength);
      const kept: number[] = [];
      rowLabels.forEach((label, t) => {
        if (label !== IGNORE_INDEX) kept.push(predicted[row * targetLength + t]!);
      });
      predictions.push(kept);
      labels.push(rowLabels);
    }
    return { ...computeTranslationMetrics(predictions, labels, options) };
  };
}

function labelRows(batch: LabelledTargetBatch): Int32Array[] {
  const { labels, batchSize } = batch;
  if (labels === undefined) throw new TrainerError('LABELS_INVALID', 'translation metrics need labels, but the evaluation batch has none.');
  const width = batch.targetLength ?? labels.length / batchSize;
  return Array.from({ length: batchSize }, (_, b) => labels.subarray(b * width, (b + 1) * width));
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
