/**
 * Splits AG News' test.csv (7,600 rows, 1,900 per class, one row per line) into 6,000 training and
 * 1,600 test rows, stratified: per class, the rows are shuffled by a Fisher-Yates permutation from
 * mulberry32(seed) and the first 400 go to the test split, the other 1,500 to training. Rows keep
 * the file's order within each split. Usage:
 *   npx tsx test/tasks/split-agnews.ts ../shared/data/agnews/test.csv OUT_DIR [seed=13]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '@tunefleet/core';

export function splitStratified(rows: readonly string[], labelOf: (row: string) => string, testPerClass: number, seed: number): { train: number[]; test: number[] } {
  const byClass = new Map<string, number[]>();
  rows.forEach((row, i) => byClass.set(labelOf(row), [...(byClass.get(labelOf(row)) ?? []), i]));
  const random = mulberry32(seed);
  const test = new Set<number>();
  for (const label of [...byClass.keys()].sort()) {
    const members = byClass.get(label)!;
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    members.slice(0, testPerClass).forEach((index) => test.add(index));
  }
  const all = rows.map((_, i) => i);
  return { train: all.filter((i) => !test.has(i)), test: all.filter((i) => test.has(i)) };
}

async function main(): Promise<void> {
  const [input, outDir, seedText = '13'] = process.argv.slice(2);
  if (input === undefined || outDir === undefined) throw new Error('usage: split-agnews.ts INPUT.csv OUT_DIR [seed]');
  const [header, ...rows] = (await readFile(input, 'utf8')).split(/\r?\n/).filter((line) => line !== '');
  const { train, test } = splitStratified(rows, (row) => row.slice(0, row.indexOf(',')), 400, Number(seedText));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'train.csv'), [header, ...train.map((i) => rows[i])].join('\n') + '\n');
  await writeFile(join(outDir, 'test.csv'), [header, ...test.map((i) => rows[i])].join('\n') + '\n');
  process.stderr.write(`${train.length} train / ${test.length} test rows in ${outDir}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
