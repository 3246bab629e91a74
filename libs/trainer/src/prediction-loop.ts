import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '@tunefleet/core';
import type { ModelBatch, TrainableModel } from '@tunefleet/model';
import type { BatchSource } from './batch-source.ts';
import type { EvalPrediction, PreprocessLogitsForMetrics } from './trainer-types.ts';

export interface PredictionLoopOutput extends EvalPrediction {
  /** Batch-size-weighted mean of the batch losses (HF's eval_loss); NaN without labels. */
  readonly meanLoss: number;
  readonly numExamples: number;
  readonly numBatches: number;
}

interface BatchResult {
  logits: Float32Array;
  shape: number[];
  labels?: Int32Array;
}

/**
 * Runs the model over `dataset` in order, without dropout, collecting logits (or what `preprocess`
 * reduces each batch's logits to), labels and loss.
 */
export function predictionLoop(
  model: TrainableModel,
  dataset: BatchSource,
  batchSize: number,
  seed: number,
  preprocess?: PreprocessLogitsForMetrics,
): PredictionLoopOutput {
  const results: BatchResult[] = [];
  let lossSum = 0;
  let labelledExamples = 0;
  let numExamples = 0;
  for (const batch of dataset.batches({ epoch: 0, batchSize, shuffle: false, seed, dropLast: false })) {
    const { logits, loss } = runBatch(model, batch, preprocess);
    results.push({ logits: logits.data, shape: logits.shape, labels: batch.labels });
    numExamples += batch.batchSize;
    if (loss !== null) {
      lossSum += loss * batch.batchSize;
      labelledExamples += batch.batchSize;
    }
  }
  const merged = concatenate(results);
  return {
    ...merged,
    meanLoss: labelledExamples > 0 ? lossSum / labelledExamples : Number.NaN,
    numExamples,
    numBatches: results.length,
  };
}

function runBatch(
  model: TrainableModel,
  batch: ModelBatch,
  preprocess: PreprocessLogitsForMetrics | undefined,
): { logits: { data: Float32Array; shape: number[] }; loss: number | null } {
  const logitsTensor = model.forward(batch, { training: false });
  let kept: tf.Tensor | undefined;
  try {
    let loss: number | null = null;
    if (batch.labels !== undefined) {
      const lossTensor = model.loss(logitsTensor, batch);
      loss = lossTensor.dataSync()[0]!;
      lossTensor.dispose();
    }
    kept = preprocess === undefined ? logitsTensor : preprocess(logitsTensor, batch);
    return { logits: { data: Float32Array.from(kept.dataSync()), shape: kept.shape }, loss };
  } finally {
    tf.dispose(kept === logitsTensor ? [logitsTensor] : [logitsTensor, ...(kept ? [kept] : [])]);
  }
}

/**
 * Concatenates along the first axis; rank-3 logits (and [batch, seq] labels) are padded to the longest
 * seq with -100 (IGNORE_INDEX), as HF pads batches of different sequence lengths.
 */
function concatenate(results: readonly BatchResult[]): EvalPrediction {
  if (results.length === 0) return { logits: new Float32Array(0), shape: [0, 0] };
  const first = results[0]!;
  const isSequence = first.shape.length === 3;
  const numLabels = first.shape[first.shape.length - 1]!;
  const maxSeq = isSequence ? Math.max(...results.map((r) => r.shape[1]!)) : 1;
  const rows = results.reduce((sum, r) => sum + r.shape[0]!, 0);
  const logits = new Float32Array(rows * maxSeq * numLabels).fill(IGNORE_INDEX);
  const hasLabels = results.every((r) => r.labels !== undefined);
  const labelsPerRow = hasLabels && first.labels!.length !== first.shape[0] ? maxSeq : 1;
  const labelIds = hasLabels ? new Int32Array(rows * labelsPerRow).fill(IGNORE_INDEX) : undefined;
  let row = 0;
  for (const result of results) {
    const batchRows = result.shape[0]!;
    const seq = isSequence ? result.shape[1]! : 1;
    for (let b = 0; b < batchRows; b++) {
      const source = result.logits.subarray(b * seq * numLabels, (b + 1) * seq * numLabels);
      logits.set(source, (row + b) * maxSeq * numLabels);
      if (labelIds !== undefined) {
        const width = labelsPerRow === 1 ? 1 : seq;
        labelIds.set(result.labels!.subarray(b * width, (b + 1) * width), (row + b) * labelsPerRow);
      }
    }
    row += batchRows;
  }
  const shape = isSequence ? [rows, maxSeq, numLabels] : [rows, numLabels];
  return labelIds === undefined ? { logits, shape } : { logits, shape, labelIds };
}
