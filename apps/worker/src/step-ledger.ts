import type { StepSamples } from '@tunefleet/proto';

/**
 * This rank's part of the sample ledger, between reports: the rows each optimizer step consumed,
 * and (rank 0) the checkpoint just written. A report takes them; a report that fails puts them
 * back, so a coordinator restart loses nothing.
 */
export class StepLedger {
  private samples: StepSamples[] = [];
  private checkpoint: { step: number; dir: string } | undefined;

  addStep(step: number, epoch: number, ids: Iterable<number>): void {
    this.samples.push({ step, epoch, ranges: toRanges(ids) });
  }

  addCheckpoint(step: number, dir: string): void {
    this.checkpoint = { step, dir };
  }

  take(): { samples: StepSamples[]; checkpointStep?: number; checkpointDir?: string } {
    const taken = { samples: this.samples, ...(this.checkpoint ? { checkpointStep: this.checkpoint.step, checkpointDir: this.checkpoint.dir } : {}) };
    this.samples = [];
    this.checkpoint = undefined;
    return taken;
  }

  putBack(taken: { samples: StepSamples[]; checkpointStep?: number; checkpointDir?: string }): void {
    this.samples = [...taken.samples, ...this.samples];
    if (this.checkpoint === undefined && taken.checkpointDir !== undefined) this.checkpoint = { step: taken.checkpointStep ?? 0, dir: taken.checkpointDir };
  }
}

/** Row ids -> sorted [start, end) pairs, flattened. */
export function toRanges(ids: Iterable<number>): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  const ranges: number[] = [];
  for (const id of sorted) {
    if (ranges.length > 0 && ranges[ranges.length - 1] === id) ranges[ranges.length - 1] = id + 1;
    else ranges.push(id, id + 1);
  }
  return ranges;
}
