import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '@tunefleet/core';
import type { ModelBatch } from '@tunefleet/model';
import { describe, expect, it } from 'vitest';
import { argmaxLogits, causalLmEvaluation, languageModelScores, maskedLmEvaluation, type TaskEvaluation } from './language-model-metrics.ts';
import type { EvalPrediction } from './trainer-types.ts';

/** One batch through an evaluation's reduction, then its computeMetrics (what the prediction loop does). */
function evaluate(evaluation: TaskEvaluation, logits: number[], shape: [number, number, number], labels?: number[]): Record<string, number> {
  const batch = { batchSize: shape[0], seqLength: shape[1], ...(labels ? { labels: Int32Array.from(labels) } : {}) } as unknown as ModelBatch;
  const reduced = evaluation.preprocessLogitsForMetrics(tf.tensor3d(logits, shape), batch);
  const prediction: EvalPrediction = { logits: Float32Array.from(reduced.dataSync()), shape: reduced.shape, ...(labels ? { labelIds: Int32Array.from(labels) } : {}) };
  reduced.dispose();
  return evaluation.computeMetrics(prediction);
}

describe('language-model evaluation (preprocess_logits_for_metrics, then perplexity and accuracy)', () => {
  // 1 row, 3 positions, vocab 2.
  const logits = [0, Math.log(3), /* p(1) = 3/4 */ 0, 0, /* p(0) = 1/2 */ 5, -5];

  it('keeps 2 numbers a position: the label NLL (0 where unlabelled) and the argmax', () => {
    const batch = { batchSize: 1, seqLength: 3, labels: Int32Array.from([1, IGNORE_INDEX, 0]) } as unknown as ModelBatch;
    const scores = languageModelScores({ shift: false })(tf.tensor3d(logits, [1, 3, 2]), batch);
    expect(scores.shape).toEqual([1, 3, 2]);
    const values = Array.from(scores.dataSync());
    expect(values[0]).toBeCloseTo(-Math.log(3 / 4), 6);
    expect(values.slice(1, 4)).toEqual([1, 0, 0]);
    expect(values[4]).toBeCloseTo(-Math.log(Math.exp(5) / (Math.exp(5) + Math.exp(-5))), 5);
    expect(values[5]).toBe(0);
  });

  it('causal LM scores position t on label t + 1, skipping -100, over every labelled position', () => {
    const metrics = evaluate(causalLmEvaluation(), logits, [1, 3, 2], [7, 1, 0]);
    expect(metrics['perplexity']).toBeCloseTo(Math.exp((-Math.log(3 / 4) - Math.log(1 / 2)) / 2), 6);
    // Position 0's argmax is 1 (right); position 1's is a tie, resolved to the first id, 0 (right).
    expect(metrics['accuracy']).toBe(1);
    expect(evaluate(causalLmEvaluation(), logits, [1, 3, 2], [7, 1, IGNORE_INDEX])['perplexity']).toBeCloseTo(4 / 3, 6);
    expect(evaluate(causalLmEvaluation(), logits, [1, 3, 2])).toEqual({});
  });

  it('masked LM scores each labelled position on its own label; no labelled position is an error', () => {
    const metrics = evaluate(maskedLmEvaluation(), logits, [1, 3, 2], [0, IGNORE_INDEX, 1]);
    const nll = (-Math.log(1 / 4) - Math.log(Math.exp(-5) / (Math.exp(5) + Math.exp(-5)))) / 2;
    expect(metrics['perplexity']).toBeCloseTo(Math.exp(nll), 3);
    expect(metrics['accuracy']).toBe(0);
    expect(() => evaluate(maskedLmEvaluation(), logits, [1, 3, 2], [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX])).toThrow(/no labelled position/);
  });

  it('refuses logits that were not reduced, naming the shape it got', () => {
    expect(() => maskedLmEvaluation().computeMetrics({ logits: Float32Array.from(logits), shape: [1, 2, 3], labelIds: Int32Array.from([0, 1]) })).toThrow(/\[examples, seq, 2\] output, got shape \[1, 2, 3\]/);
  });

  it('argmaxLogits keeps each position\'s argmax as [batch, seq, 1]', () => {
    const ids = argmaxLogits()(tf.tensor3d(logits, [1, 3, 2]), {} as ModelBatch);
    expect(ids.shape).toEqual([1, 3, 1]);
    expect(Array.from(ids.dataSync())).toEqual([1, 0, 0]);
  });
});
