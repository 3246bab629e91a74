// The training data of the scaling benchmarks (bench-scaling.ts, shaped-links.ts).
import { readFile, writeFile } from 'node:fs/promises';

/**
 * The long variant of an SST-2 file: row i = sentences i..i+5 (wrapping), label of sentence i, so
 * every row fills a 64-token sequence and every rank's step does the same work.
 */
export async function writeLongData(source: string, file: string): Promise<void> {
  const [header, ...rows] = (await readFile(source, 'utf8')).trimEnd().split('\n');
  const cells = rows.map((row) => row.split('\t'));
  const long = cells.map((cell, i) => [Array.from({ length: 6 }, (_, k) => cells[(i + k) % cells.length]![0]).join(' '), cell[1]].join('\t'));
  await writeFile(file, `${[header, ...long].join('\n')}\n`);
}
