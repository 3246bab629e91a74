import { IGNORE_INDEX } from '@tunefleet/core';
import { DataError } from '../data-error.ts';
import { EncodedDataset } from '../encoded-dataset.ts';

/** One causal-LM row before batching: token ids and their labels (IGNORE_INDEX where no loss is taken). */
export interface CausalRow {
  readonly ids: number[];
  readonly labels: number[];
}

/**
 * TRL's packing (its "bfd" strategy): whole rows placed best-fit-decreasing into rows of at most
 * `blockSize` tokens, so short conversations fill blocks instead of padding. Rows keep their order
 * inside a block; a later row attends to the earlier ones of its block (the model has no
 * per-row attention mask), and the label after each boundary belongs to the next row (IGNORE_INDEX
 * there when only assistant tokens are labelled).
 */
export function packRows(rows: readonly CausalRow[], blockSize: number): CausalRow[] {
  const order = rows.map((row, index) => ({ row, index })).sort((a, b) => b.row.ids.length - a.row.ids.length || a.index - b.index);
  const bins: { room: number; members: { row: CausalRow; index: number }[] }[] = [];
  for (const item of order) {
    let best: (typeof bins)[number] | undefined;
    for (const bin of bins) if (bin.room >= item.row.ids.length && (best === undefined || bin.room < best.room)) best = bin;
    if (best === undefined) {
      best = { room: blockSize, members: [] };
      bins.push(best);
    }
    best.members.push(item);
    best.room -= item.row.ids.length;
  }
  return bins.map((bin) => {
    const members = bin.members.sort((a, b) => a.index - b.index);
    return { ids: members.flatMap((m) => m.row.ids), labels: members.flatMap((m) => m.row.labels) };
  });
}

/** The rows as an EncodedDataset (token labels, dynamic padding with `padId`, labels IGNORE_INDEX on padding). */
export function causalDataset(rows: readonly CausalRow[], padId: number): EncodedDataset {
  if (rows.length === 0) throw new DataError('DATA_NO_EXAMPLES', 'causal LM: no rows to train on.');
  return new EncodedDataset(
    {
      inputIds: rows.map((row) => row.ids),
      attentionMask: rows.map((row) => new Array<number>(row.ids.length).fill(1)),
      tokenTypeIds: rows.map((row) => new Array<number>(row.ids.length).fill(0)),
      labels: rows.map((row) => row.labels),
    },
    padId,
  );
}

/** Whether any token of the row takes loss. */
export function hasLabels(row: CausalRow): boolean {
  return row.labels.some((label) => label !== IGNORE_INDEX);
}
