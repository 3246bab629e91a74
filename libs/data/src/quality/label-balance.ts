import type { Example } from '../read-examples.ts';
import type { LabelReport } from './quality-report.ts';

/** Examples per label and largest/smallest class; undefined when no example has a label. */
export function labelBalance(examples: readonly Example[]): LabelReport | undefined {
  const counts = new Map<string, number>();
  for (const example of examples) {
    if (example.label === undefined) continue;
    counts.set(example.label, (counts.get(example.label) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const sorted = [...counts.entries()]
    .sort(([labelA, countA], [labelB, countB]) => countB - countA || compareLabels(labelA, labelB))
    .map(([label, count]) => ({ label, count, share: count / total }));
  return { counts: sorted, imbalanceRatio: sorted[0]!.count / sorted[sorted.length - 1]!.count };
}

/** Integer-like labels numerically ("2" before "10"), others as strings: the label map's order. */
function compareLabels(a: string, b: string): number {
  const isNumeric = /^-?\d+$/.test(a) && /^-?\d+$/.test(b);
  if (isNumeric) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
