import { BertModelError } from '../bert/bert-model-error.ts';
import type { ModelBatch } from '../trainable.ts';

/**
 * Checks a batch against an embedding-table model: every array is batchSize x seqLength, the
 * sequence fits `maxSeqLength` (named by `maxSeqLengthSource`), ids lie inside their tables.
 * `typeVocabSize` undefined: the family has no token types (DistilBERT), so they are not checked.
 */
export function checkBatch(
  batch: ModelBatch,
  limits: { vocabSize: number; maxSeqLength: number; maxSeqLengthSource: string; typeVocabSize?: number },
): void {
  const { batchSize, seqLength } = batch;
  const size = batchSize * seqLength;
  for (const [field, array] of [['inputIds', batch.inputIds], ['attentionMask', batch.attentionMask], ['tokenTypeIds', batch.tokenTypeIds]] as const) {
    if (array.length !== size) {
      throw new BertModelError('BATCH_SHAPE', `batch.${field} has ${array.length} values, expected batchSize ${batchSize} x seqLength ${seqLength} = ${size}`);
    }
  }
  if (seqLength > limits.maxSeqLength) {
    throw new BertModelError('BATCH_SHAPE', `seqLength ${seqLength} exceeds ${limits.maxSeqLengthSource}`);
  }
  checkRange(batch.inputIds, limits.vocabSize, 'inputIds', 'vocab_size');
  if (limits.typeVocabSize !== undefined) checkRange(batch.tokenTypeIds, limits.typeVocabSize, 'tokenTypeIds', 'type_vocab_size');
}

function checkRange(values: Int32Array, limit: number, field: string, limitName: string): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= limit) {
      throw new BertModelError('BATCH_VALUE', `batch.${field}[${i}] = ${values[i]} is outside [0, ${limit}) (${limitName})`);
    }
  }
}
