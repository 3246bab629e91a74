import { IGNORE_INDEX } from '@tunefleet/core';
import { TrainerError } from './trainer-error.ts';
import type { EvalPrediction } from './trainer-types.ts';

export interface ClassificationMetrics {
  accuracy: number;
  /** Binary (positive class 1) when numLabels == 2, else macro. Same for recall and f1. */
  precision: number;
  recall: number;
  f1: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_micro: number;
  recall_micro: number;
  f1_micro: number;
}

/** 0 when the denominator is 0: sklearn's zero_division default (it also warns). */
function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function scores(tp: number, fp: number, fn: number): { precision: number; recall: number; f1: number } {
  // F1 as 2tp / (2tp + fp + fn): equal to 2PR/(P+R) when defined, 0 where sklearn's zero_division gives 0.
  return { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn) };
}

function checkClassId(value: number, index: number, what: string, numLabels: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= numLabels) {
    throw new TrainerError('LABELS_INVALID', `${what}[${index}] = ${value} is not a class id in [0, ${numLabels - 1}].`);
  }
  return value;
}

/**
 * Accuracy, and precision/recall/F1 as sklearn.metrics computes them. Macro averages run over the
 * classes present in labels or predictions (sklearn's default `labels=None`); micro averages pool
 * every class.
 */
export function computeClassificationMetrics(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  numLabels: number,
): ClassificationMetrics {
  if (predictions.length !== labels.length) {
    throw new TrainerError('LABELS_INVALID', `predictions has ${predictions.length} entries but labels has ${labels.length}.`);
  }
  if (labels.length === 0) throw new TrainerError('LABELS_INVALID', 'no labelled examples to score.');
  if (!Number.isInteger(numLabels) || numLabels < 1) {
    throw new TrainerError('LABELS_INVALID', `numLabels must be a positive integer, got ${numLabels}.`);
  }
  const tp = new Array<number>(numLabels).fill(0);
  const fp = new Array<number>(numLabels).fill(0);
  const fn = new Array<number>(numLabels).fill(0);
  const present = new Array<boolean>(numLabels).fill(false);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = checkClassId(labels[i]!, i, 'labels', numLabels);
    const predicted = checkClassId(predictions[i]!, i, 'predictions', numLabels);
    present[label] = true;
    present[predicted] = true;
    if (label === predicted) {
      correct += 1;
      tp[label]! += 1;
    } else {
      fp[predicted]! += 1;
      fn[label]! += 1;
    }
  }
  const classes = [...present.keys()].filter((c) => present[c]);
  const perClass = classes.map((c) => scores(tp[c]!, fp[c]!, fn[c]!));
  const mean = (pick: (s: { precision: number; recall: number; f1: number }) => number): number =>
    perClass.reduce((sum, s) => sum + pick(s), 0) / perClass.length;
  const macro = { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) };
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  const micro = scores(sum(tp), sum(fp), sum(fn));
  const headline = numLabels === 2 ? scores(tp[1]!, fp[1]!, fn[1]!) : macro;
  return {
    accuracy: correct / labels.length,
    precision: headline.precision,
    recall: headline.recall,
    f1: headline.f1,
    precision_macro: macro.precision,
    recall_macro: macro.recall,
    f1_macro: macro.f1,
    precision_micro: micro.precision,
    recall_micro: micro.recall,
    f1_micro: micro.f1,
  };
}

/** Row-wise argmax over the last axis of `logits` with `shape` ([..., numLabels]). */
export function argmaxLastAxis(logits: Float32Array, shape: readonly number[]): Int32Array {
  const numLabels = shape[shape.length - 1]!;
  const rows = logits.length / numLabels;
  const out = new Int32Array(rows);
  for (let row = 0; row < rows; row++) {
    let best = 0;
    for (let k = 1; k < numLabels; k++) if (logits[row * numLabels + k]! > logits[row * numLabels + best]!) best = k;
    out[row] = best;
  }
  return out;
}

/**
 * A Trainer `computeMetrics` for sequence or token classification: argmax of the logits, positions
 * labelled -100 (padding, sub-word continuations) left out, then computeClassificationMetrics.
 */
export function classificationComputeMetrics(numLabels: number): (prediction: EvalPrediction) => Record<string, number> {
  return ({ logits, shape, labelIds }) => {
    if (labelIds === undefined) {
      throw new TrainerError('LABELS_INVALID', 'classification metrics need labels, but the evaluation dataset has none.');
    }
    const predicted = argmaxLastAxis(logits, shape);
    const keptPredictions: number[] = [];
    const keptLabels: number[] = [];
    for (let i = 0; i < labelIds.length; i++) {
      if (labelIds[i] === IGNORE_INDEX) continue;
      keptPredictions.push(predicted[i]!);
      keptLabels.push(labelIds[i]!);
    }
    return { ...computeClassificationMetrics(keptPredictions, keptLabels, numLabels) };
  };
}
