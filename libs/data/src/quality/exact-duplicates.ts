import type { Example } from '../read-examples.ts';
import { exampleKey, shownText } from './normalize-text.ts';
import type { DuplicateReport, LabelConflict } from './quality-report.ts';

/** The examples of one split by normalised text (`exampleKey`), each list in file order. */
export function groupByKey(examples: readonly Example[]): Map<string, Example[]> {
  const groups = new Map<string, Example[]>();
  for (const example of examples) {
    const key = exampleKey(example);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [example]);
    else group.push(example);
  }
  return groups;
}

/** Groups of rows with the same normalised text, ordered by their first line. */
export function exactDuplicates(groups: ReadonlyMap<string, readonly Example[]>): DuplicateReport {
  const duplicated = repeatedGroups(groups);
  return {
    groups: duplicated.map((group) => ({ text: shownText(group[0]!), lines: group.map((example) => example.line) })),
    redundantRows: duplicated.reduce((sum, group) => sum + group.length - 1, 0),
  };
}

/** Duplicate groups whose rows do not all carry the same label: the data contradicts itself. */
export function labelConflicts(groups: ReadonlyMap<string, readonly Example[]>): LabelConflict[] {
  return repeatedGroups(groups)
    .filter((group) => new Set(group.map((example) => example.label)).size > 1)
    .map((group) => ({
      text: shownText(group[0]!),
      lines: group.map((example) => example.line),
      labels: group.map((example) => example.label ?? ''),
    }));
}

function repeatedGroups(groups: ReadonlyMap<string, readonly Example[]>): (readonly Example[])[] {
  return [...groups.values()].filter((group) => group.length > 1).sort((a, b) => a[0]!.line - b[0]!.line);
}
