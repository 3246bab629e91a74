import type { ModelBatch } from '../trainable.ts';

/**
 * RoBERTa's position ids (transformers' `create_position_ids_from_input_ids`): real tokens are
 * numbered from `paddingIdx + 1` in order, padding tokens get `paddingIdx`. `[batch * seq]`.
 */
export function robertaPositionIds(batch: Pick<ModelBatch, 'batchSize' | 'seqLength' | 'inputIds'>, paddingIdx: number): Int32Array {
  const { batchSize, seqLength, inputIds } = batch;
  const positions = new Int32Array(batchSize * seqLength);
  for (let b = 0; b < batchSize; b++) {
    let count = 0;
    for (let s = 0; s < seqLength; s++) {
      const i = b * seqLength + s;
      if (inputIds[i] === paddingIdx) positions[i] = paddingIdx;
      else positions[i] = paddingIdx + ++count;
    }
  }
  return positions;
}
