import { IGNORE_INDEX } from '@tunefleet/core';
import { DataError } from '../data-error.ts';
import { EncodedDataset, type EncodedBatch } from '../encoded-dataset.ts';

/**
 * A seq2seq batch in the structure of `ModelBatch` (libs/model): the source as `inputIds` /
 * `attentionMask` / `tokenTypeIds` (zeros) `[batch, seqLength]`, and the target as DataCollatorForSeq2Seq
 * gives it: `labels` `[batch, targetLength]` with -100 on padding, `decoderInputIds` the labels
 * shifted right with decoder_start_token_id first and -100 as pad (transformers' shift_tokens_right),
 * `decoderAttentionMask` 1 on the positions whose label is a real token (the others take no loss).
 */
export interface Seq2SeqBatch extends EncodedBatch {
  readonly targetLength: number;
  readonly labels: Int32Array; // [batch, targetLength]
  readonly decoderInputIds: Int32Array; // [batch, targetLength]
  readonly decoderAttentionMask: Int32Array; // [batch, targetLength]
}

export interface Seq2SeqRows {
  /** Source ids per pair, special tokens included. */
  readonly sourceIds: readonly (readonly number[])[];
  /** Target ids per pair (the labels), special tokens included (EOS last for Marian and T5). */
  readonly targetIds: readonly (readonly number[])[];
}

/**
 * Source/target pairs tokenized once and collated per batch with dynamic padding (source to the
 * batch's longest source, target to its longest target). As an `EncodedDataset` it works with
 * every batch source (`batches`, `ShardedBatchSource`, length grouping by source length); its
 * labels are per target token, so `labelKind` is 'token'.
 */
export class Seq2SeqDataset extends EncodedDataset {
  private readonly targets: readonly Int32Array[];

  constructor(
    rows: Seq2SeqRows,
    padId: number,
    /** The decoder's first input (transformers' decoder_start_token_id: pad for Marian and T5). */
    readonly decoderStartTokenId: number,
  ) {
    if (rows.targetIds.length !== rows.sourceIds.length) {
      throw new DataError('DATA_BAD_ARGUMENT', `Seq2SeqDataset: ${rows.targetIds.length} targets for ${rows.sourceIds.length} sources.`);
    }
    super(
      {
        inputIds: rows.sourceIds,
        attentionMask: rows.sourceIds.map((ids) => new Array<number>(ids.length).fill(1)),
        tokenTypeIds: rows.sourceIds.map((ids) => new Array<number>(ids.length).fill(0)),
        // Placeholder token labels make this a labelled ('token') dataset for every batch source;
        // `batch` replaces them with the target's.
        labels: rows.sourceIds.map((ids) => new Array<number>(ids.length).fill(IGNORE_INDEX)),
      },
      padId,
    );
    rows.targetIds.forEach((ids, i) => {
      if (ids.length === 0) throw new DataError('DATA_BAD_ARGUMENT', `Seq2SeqDataset: pair ${i} has an empty target.`);
    });
    this.targets = rows.targetIds.map((ids) => Int32Array.from(ids));
  }

  /** Target token count of pair `index` (its labels, unpadded). */
  targetLengthOf(index: number): number {
    return this.target(index).length;
  }

  override batch(indices: ArrayLike<number>): Seq2SeqBatch {
    const source = super.batch(indices);
    const { batchSize } = source;
    const targets = Array.from({ length: batchSize }, (_, b) => this.target(indices[b]!));
    const targetLength = Math.max(...targets.map((ids) => ids.length));
    const labels = new Int32Array(batchSize * targetLength).fill(IGNORE_INDEX); // [batch, targetLength]
    const decoderInputIds = new Int32Array(batchSize * targetLength).fill(this.padId); // [batch, targetLength]
    const decoderAttentionMask = new Int32Array(batchSize * targetLength); // [batch, targetLength]
    targets.forEach((ids, b) => {
      const row = b * targetLength;
      labels.set(ids, row);
      decoderInputIds[row] = this.decoderStartTokenId;
      decoderInputIds.set(ids.subarray(0, Math.min(ids.length, targetLength - 1)), row + 1);
      decoderAttentionMask.fill(1, row, row + ids.length);
    });
    return { ...source, labels, targetLength, decoderInputIds, decoderAttentionMask };
  }

  private target(index: number): Int32Array {
    const target = Number.isInteger(index) ? this.targets[index] : undefined;
    if (!target) throw new DataError('DATA_BAD_ARGUMENT', `Seq2SeqDataset: index ${index} is outside 0..${this.size - 1}.`);
    return target;
  }
}
