import { IGNORE_INDEX } from '@tunefleet/core';
import { EncodedDataset, type EncodedBatch } from '../encoded-dataset.ts';
import type { EpochOptions } from '../epoch-batches.ts';
import { maskRow, type MaskableRow, type MaskingOptions } from './mask-tokens.ts';

export interface MaskedLmRows {
  readonly inputIds: readonly Int32Array[];
  readonly isSpecial: readonly Uint8Array[];
  readonly wordKeys: readonly Int32Array[];
}

/**
 * Token blocks (or lines) for masked-LM training: batches are collated as any EncodedDataset's and
 * then masked per example with `maskRow`, seeded by (seed, epoch, example index), so a batch holds
 * the same masks whichever rank builds it and whenever (a resumed run too). The epoch is the one of
 * the `batches()` call in progress (`setEpoch` for sources that call `batch()` directly); an
 * evaluation set stays at epoch 0, so its masks are fixed.
 */
export class MaskedLmDataset extends EncodedDataset {
  private epoch = 0;
  private readonly maskable: readonly MaskableRow[];

  constructor(
    rows: MaskedLmRows,
    padId: number,
    readonly masking: MaskingOptions,
    readonly seed: number,
  ) {
    super(
      {
        inputIds: rows.inputIds.map((ids) => Array.from(ids)),
        attentionMask: rows.inputIds.map((ids) => new Array<number>(ids.length).fill(1)),
        tokenTypeIds: rows.inputIds.map((ids) => new Array<number>(ids.length).fill(0)),
        // Token labels (all -100 until masked) make this a token-labelled dataset for every batch source.
        labels: rows.inputIds.map((ids) => new Array<number>(ids.length).fill(IGNORE_INDEX)),
      },
      padId,
    );
    this.maskable = rows.inputIds.map((inputIds, i) => ({ inputIds, isSpecial: rows.isSpecial[i]!, wordKeys: rows.wordKeys[i]! }));
  }

  /** The epoch whose masks `batch()` draws. */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  override *batches(options: EpochOptions & { readonly batchSize: number }): Generator<EncodedBatch> {
    this.setEpoch(options.epoch);
    yield* super.batches(options);
  }

  override batch(indices: ArrayLike<number>): EncodedBatch {
    const collated = super.batch(indices);
    const { batchSize, seqLength } = collated;
    const inputIds = Int32Array.from(collated.inputIds);
    const labels = new Int32Array(batchSize * seqLength).fill(IGNORE_INDEX); // [batch, seq]
    for (let b = 0; b < batchSize; b++) {
      const masked = maskRow(this.maskable[indices[b]!]!, this.masking, this.seed, this.epoch, indices[b]!);
      inputIds.set(masked.inputIds, b * seqLength);
      labels.set(masked.labels, b * seqLength);
    }
    return { ...collated, inputIds, labels };
  }
}

/**
 * A batch source over a MaskedLmDataset that sets the dataset's epoch before each epoch's batches:
 * for sources (a rank's shard) that collate with `dataset.batch(indices)`. Every other property is
 * the wrapped source's own.
 */
export function withMaskingEpochs<S extends { batches(options: EpochOptions & { readonly batchSize: number }): Iterable<EncodedBatch> }>(
  source: S,
  dataset: EncodedDataset,
): S {
  if (!(dataset instanceof MaskedLmDataset)) return source;
  return new Proxy(source, {
    get(target, key) {
      if (key === 'batches') {
        return function* (options: EpochOptions & { readonly batchSize: number }): Generator<EncodedBatch> {
          dataset.setEpoch(options.epoch);
          yield* target.batches(options);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
