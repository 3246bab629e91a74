import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '@tunefleet/core';
import type { ModelBatch } from '@tunefleet/model';
import { TrainerError } from './trainer-error.ts';
import type { ComputeMetrics, EvalPrediction, PreprocessLogitsForMetrics } from './trainer-types.ts';

/** What each position of a language model's evaluation keeps: its label's negative log-likelihood and its argmax. */
const SCORES_PER_POSITION = 2;

export interface LanguageModelMetricsOptions {
  /** Causal LM: position t is scored on label t + 1 (the loss's shift). Masked LM, seq2seq: on label t. */
  readonly shift: boolean;
  /** Masked LM: no labelled position is an error (nothing was masked); causal LM: no metrics. */
  readonly requireLabelled?: boolean;
}

/**
 * Hugging Face's `preprocess_logits_for_metrics` for a language model: a batch's `[batch, seq, vocab]`
 * logits become `[batch, seq, 2]` (the label's negative log-likelihood, 0 where unlabelled, and the
 * argmax id) before evaluation gathers them, so an evaluation set over a 50k vocabulary keeps two
 * numbers a token instead of 50k.
 */
export function languageModelScores(options: Pick<LanguageModelMetricsOptions, 'shift'>): PreprocessLogitsForMetrics {
  return (logits: tf.Tensor, batch: ModelBatch) =>
    tf.tidy(() => {
      if (logits.rank !== 3) throw new TrainerError('LABELS_INVALID', `language-model metrics need [batch, seq, vocab] logits, got shape [${logits.shape.join(', ')}]`);
      const [rows, seq, vocab] = logits.shape as [number, number, number];
      const labels = batch.labels;
      const picked = new Int32Array(rows * seq);
      const isLabelled = new Float32Array(rows * seq);
      if (labels !== undefined) {
        if (labels.length !== rows * seq) throw new TrainerError('LABELS_INVALID', `language-model metrics need [batch, seq] labels (${rows * seq}), got ${labels.length}`);
        for (let r = 0; r < rows; r++) {
          for (let t = 0; t < seq; t++) {
            const source = options.shift ? t + 1 : t;
            const label = source < seq ? labels[r * seq + source]! : IGNORE_INDEX;
            if (label === IGNORE_INDEX) continue;
            picked[r * seq + t] = r * seq * vocab + t * vocab + label;
            isLabelled[r * seq + t] = 1;
          }
        }
      }
      const logProbs = tf.reshape(tf.logSoftmax(logits, -1), [-1]);
      const nll = tf.reshape(tf.mul(tf.neg(tf.gather(logProbs, tf.tensor1d(picked, 'int32'))), tf.tensor1d(isLabelled)), [rows, seq]);
      const argmax = tf.cast(tf.argMax(logits, -1), 'float32');
      return tf.stack([nll, argmax], -1);
    });
}

/**
 * Perplexity (the exponential of the mean per-token cross-entropy over the labelled positions; HF's
 * run_mlm / run_clm report exp(eval_loss), which agrees when batches hold equal token counts) and
 * accuracy (how often the argmax is the label), read from `languageModelScores`' output.
 */
export function languageModelComputeMetrics(options: LanguageModelMetricsOptions): ComputeMetrics {
  return ({ logits: scores, shape, labelIds }: EvalPrediction): Record<string, number> => {
    if (labelIds === undefined) {
      if (options.requireLabelled) throw new TrainerError('LABELS_INVALID', 'language-model metrics need labels, but the evaluation dataset has none.');
      return {};
    }
    if (shape.length !== 3 || shape[2] !== SCORES_PER_POSITION) {
      throw new TrainerError('LABELS_INVALID', `language-model metrics read languageModelScores' [examples, seq, 2] output, got shape [${shape.join(', ')}]`);
    }
    const [rows, seq] = shape as [number, number, number];
    let nll = 0;
    let correct = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < seq; t++) {
        const source = options.shift ? t + 1 : t;
        const label = source < seq ? labelIds[r * seq + source]! : IGNORE_INDEX;
        if (label === IGNORE_INDEX) continue;
        const at = (r * seq + t) * SCORES_PER_POSITION;
        nll += scores[at]!;
        correct += scores[at + 1] === label ? 1 : 0;
        count += 1;
      }
    }
    if (count === 0) {
      if (options.requireLabelled) throw new TrainerError('LABELS_INVALID', 'language-model metrics: no labelled position to score.');
      return {};
    }
    return { perplexity: Math.exp(nll / count), accuracy: correct / count };
  };
}

/** The argmax ids of `languageModelScores`' output, `[examples, seq]`. */
export function argmaxOfScores(scores: Float32Array): Int32Array {
  const ids = new Int32Array(scores.length / SCORES_PER_POSITION);
  for (let i = 0; i < ids.length; i++) ids[i] = scores[i * SCORES_PER_POSITION + 1]!;
  return ids;
}

/**
 * `preprocess_logits_for_metrics` keeping only each position's argmax, `[batch, seq, 1]`: what
 * teacher-forced translation metrics decode.
 */
export function argmaxLogits(): PreprocessLogitsForMetrics {
  return (logits: tf.Tensor) => tf.tidy(() => tf.expandDims(tf.cast(tf.argMax(logits, -1), 'float32'), -1));
}

/** A task's evaluation: its computeMetrics and the per-batch reduction it reads. */
export interface TaskEvaluation {
  readonly computeMetrics: ComputeMetrics;
  readonly preprocessLogitsForMetrics: PreprocessLogitsForMetrics;
}

/** Masked LM (run_mlm): perplexity and accuracy over the masked positions. */
export function maskedLmEvaluation(): TaskEvaluation {
  return { preprocessLogitsForMetrics: languageModelScores({ shift: false }), computeMetrics: languageModelComputeMetrics({ shift: false, requireLabelled: true }) };
}

/** Causal LM (run_clm): perplexity and next-token accuracy, position t scored on label t + 1. */
export function causalLmEvaluation(): TaskEvaluation {
  return { preprocessLogitsForMetrics: languageModelScores({ shift: true }), computeMetrics: languageModelComputeMetrics({ shift: true }) };
}
