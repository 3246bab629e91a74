import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX } from '@tunefleet/core';
import { BertModelError } from './bert-model-error.ts';

/**
 * Mean cross-entropy over the rows whose label is not -100, as `torch.nn.CrossEntropyLoss()`.
 * `logits` is `[rows, classes]` (any leading dims are flattened), `labels` one id per row.
 * A batch with no labelled row gives 0 (torch gives NaN), so one empty MLM batch cannot poison a run.
 */
export function crossEntropy(logits: tf.Tensor, labels: Int32Array): tf.Scalar {
  const classes = logits.shape[logits.shape.length - 1];
  const rows = logits.size / classes;
  if (labels.length !== rows) {
    throw new BertModelError('BATCH_SHAPE', `batch.labels has ${labels.length} values, expected ${rows} (logits shape [${logits.shape.join(', ')}])`);
  }
  const picked = new Int32Array(rows); // flat index of each row's label in the logits
  const weights = new Float32Array(rows); // 1 / labelled count for labelled rows, 0 for ignored ones
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (label === IGNORE_INDEX) continue;
    if (label < 0 || label >= classes) {
      throw new BertModelError('BATCH_VALUE', `batch.labels[${r}] = ${label} is outside [0, ${classes}) and is not ${IGNORE_INDEX}`);
    }
    picked[r] = r * classes + label;
    count++;
  }
  for (let r = 0; r < rows; r++) if (labels[r] !== IGNORE_INDEX) weights[r] = 1 / count;
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.reshape(logits, [rows, classes])); // [rows, classes]
    const chosen = tf.gather(tf.reshape(logProbs, [rows * classes]), tf.tensor1d(picked, 'int32')); // [rows]
    return tf.neg(tf.sum(tf.mul(chosen, tf.tensor1d(weights)))) as tf.Scalar;
  });
}
