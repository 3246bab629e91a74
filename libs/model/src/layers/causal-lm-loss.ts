import type * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '@tunefleet/core';
import { BertModelError } from '../bert/bert-model-error.ts';
import { crossEntropy } from '../bert/cross-entropy.ts';
import type { ModelBatch } from '../trainable.ts';

/**
 * Next-token cross-entropy as transformers' `ForCausalLMLoss`: labels are the input ids (labels =
 * input_ids, as DataCollatorForLanguageModeling(mlm=False) builds them), shifted inside the loss,
 * so position t is scored on label t + 1; the last position of each row and IGNORE_INDEX labels
 * take no loss; the mean is over the labelled positions. Without `batch.labels` the input ids are
 * the labels, with padding (attention mask 0) ignored.
 */
export function causalLmLoss(logits: tf.Tensor, batch: ModelBatch): tf.Scalar {
  return crossEntropy(logits, shiftedLabels(batch));
}

/** `[batch * seq]` labels shifted left by one position, IGNORE_INDEX at each row's end. */
export function shiftedLabels(batch: ModelBatch): Int32Array {
  const { batchSize, seqLength } = batch;
  if (batch.labels !== undefined && batch.labels.length !== batchSize * seqLength) {
    throw new BertModelError('BATCH_SHAPE', `batch.labels has ${batch.labels.length} values, expected batchSize ${batchSize} x seqLength ${seqLength} (causal LM labels are per token)`);
  }
  const labels = batch.labels ?? Int32Array.from(batch.inputIds, (id, i) => (batch.attentionMask[i] === 0 ? IGNORE_INDEX : id));
  const shifted = new Int32Array(batchSize * seqLength).fill(IGNORE_INDEX);
  for (let b = 0; b < batchSize; b++) {
    for (let s = 0; s + 1 < seqLength; s++) shifted[b * seqLength + s] = labels[b * seqLength + s + 1];
  }
  return shifted;
}
