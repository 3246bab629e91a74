import { IGNORE_INDEX } from '@tunefleet/core';
import { DataError } from './data-error.ts';
import { batchIndicesForEpoch, type EpochOptions } from './epoch-batches.ts';

/** A batch in the structure of `ModelBatch` (libs/model): row-major `[batchSize, seqLength]`. */
export interface EncodedBatch {
  readonly batchSize: number;
  readonly seqLength: number;
  readonly inputIds: Int32Array; // [batch, seq]
  readonly attentionMask: Int32Array; // [batch, seq], 1 = real token, 0 = padding
  readonly tokenTypeIds: Int32Array; // [batch, seq]
  /** `[batch]` class ids, or `[batch, seq]` token labels with -100 on padding. */
  readonly labels?: Int32Array;
}

/** Token ids per example, unpadded (ragged rows), as a tokenizer returns them. */
export interface EncodedRows {
  readonly inputIds: readonly (readonly number[])[];
  readonly attentionMask: readonly (readonly number[])[];
  readonly tokenTypeIds: readonly (readonly number[])[];
  /** One class id per row (sequence classification) or one label per token (token classification). */
  readonly labels?: readonly number[] | readonly (readonly number[])[];
}

interface Row {
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokenTypeIds: Int32Array;
  readonly tokenLabels?: Int32Array;
}

/**
 * Examples tokenized once, batched on demand with dynamic padding to the longest row of the batch.
 * `batch(indices)` takes any subset, so a rank can batch its own shard of a global batch.
 */
export class EncodedDataset {
  readonly size: number;
  readonly labelKind: 'none' | 'sequence' | 'token';
  private readonly rows: Row[];
  private readonly sequenceLabels?: Int32Array;

  constructor(
    encoded: EncodedRows,
    readonly padId: number,
  ) {
    const n = encoded.inputIds.length;
    const rowCounts: [string, number | undefined][] = [
      ['attentionMask', encoded.attentionMask.length],
      ['tokenTypeIds', encoded.tokenTypeIds.length],
      ['labels', encoded.labels?.length],
    ];
    for (const [field, count] of rowCounts) {
      if (count !== undefined && count !== n) {
        throw new DataError('DATA_BAD_ARGUMENT', `EncodedDataset: ${field} has ${count} rows, inputIds has ${n}.`);
      }
    }
    const labels = encoded.labels;
    this.labelKind = labels === undefined ? 'none' : n > 0 && Array.isArray(labels[0]) ? 'token' : 'sequence';
    this.size = n;
    this.rows = encoded.inputIds.map((ids, i) => toRow(encoded, i, this.labelKind === 'token'));
    if (this.labelKind === 'sequence') this.sequenceLabels = Int32Array.from(labels as readonly number[]);
  }

  /** Token count (without padding) of example `index`. */
  length(index: number): number {
    return this.row(index).inputIds.length;
  }

  /**
   * The batches of one epoch, collated lazily; this makes the dataset a trainer `BatchSource`.
   * For one rank's share of a global batch, call `batch` with that rank's indices instead.
   */
  *batches(options: EpochOptions & { readonly batchSize: number }): Generator<EncodedBatch> {
    for (const indices of batchIndicesForEpoch(this.size, options.batchSize, options, (i) => this.length(i))) {
      yield this.batch(indices);
    }
  }

  batch(indices: ArrayLike<number>): EncodedBatch {
    const batchSize = indices.length;
    if (batchSize === 0) throw new DataError('DATA_BAD_ARGUMENT', 'EncodedDataset.batch: no indices given.');
    const rows = Array.from({ length: batchSize }, (_, b) => this.row(indices[b]));
    const seqLength = Math.max(...rows.map((row) => row.inputIds.length));
    const inputIds = new Int32Array(batchSize * seqLength).fill(this.padId); // [batch, seq]
    const attentionMask = new Int32Array(batchSize * seqLength);
    const tokenTypeIds = new Int32Array(batchSize * seqLength);
    const tokenLabels = this.labelKind === 'token' ? new Int32Array(batchSize * seqLength).fill(IGNORE_INDEX) : undefined;
    rows.forEach((row, b) => {
      inputIds.set(row.inputIds, b * seqLength);
      attentionMask.set(row.attentionMask, b * seqLength);
      tokenTypeIds.set(row.tokenTypeIds, b * seqLength);
      tokenLabels?.set(row.tokenLabels as Int32Array, b * seqLength);
    });
    const sequenceLabels = this.sequenceLabels;
    const labels = sequenceLabels ? Int32Array.from({ length: batchSize }, (_, b) => sequenceLabels[indices[b]]) : tokenLabels;
    return { batchSize, seqLength, inputIds, attentionMask, tokenTypeIds, ...(labels ? { labels } : {}) };
  }

  private row(index: number): Row {
    const row = Number.isInteger(index) ? this.rows[index] : undefined;
    if (!row) throw new DataError('DATA_BAD_ARGUMENT', `EncodedDataset: index ${index} is outside 0..${this.size - 1}.`);
    return row;
  }
}

/** Copies row i, dropping trailing padding (attention 0) in case the tokenizer padded anyway. */
function toRow(encoded: EncodedRows, i: number, hasTokenLabels: boolean): Row {
  const ids = encoded.inputIds[i];
  const mask = encoded.attentionMask[i];
  const types = encoded.tokenTypeIds[i];
  const labels = hasTokenLabels ? (encoded.labels as readonly (readonly number[])[])[i] : undefined;
  for (const [field, values] of [['attentionMask', mask], ['tokenTypeIds', types], ['labels', labels ?? ids]] as const) {
    if (values.length !== ids.length) {
      throw new DataError('DATA_BAD_ARGUMENT', `EncodedDataset: row ${i} has ${ids.length} inputIds but ${values.length} ${field}.`);
    }
  }
  let length = ids.length;
  while (length > 0 && mask[length - 1] === 0) length--;
  return {
    inputIds: Int32Array.from(ids.slice(0, length)),
    attentionMask: Int32Array.from(mask.slice(0, length)),
    tokenTypeIds: Int32Array.from(types.slice(0, length)),
    ...(labels ? { tokenLabels: Int32Array.from(labels.slice(0, length)) } : {}),
  };
}
