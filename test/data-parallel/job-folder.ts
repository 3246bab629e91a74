// Test-only: a shared job folder as a cluster would mount it: a tiny BERT checkpoint with its
// tokenizer, and SST-2-shaped train/dev TSV files over a ~100-word vocabulary.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createModel } from '@tunefleet/model';
import { BertTokenizer } from '@tunefleet/tokenizer';
import { tinyBertConfig } from './support.ts';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const GOOD = ['good', 'great', 'fine', 'lovely', 'superb', 'funny', 'warm', 'bright', 'clever', 'moving', 'charming', 'smart'];
const BAD = ['bad', 'dull', 'awful', 'boring', 'weak', 'flat', 'tired', 'messy', 'bland', 'silly', 'grim', 'slow'];
const FILLER = Array.from({ length: 70 }, (_, i) => `w${i}`);

/** Sentences of 3-9 words; label 1 when good words outnumber bad ones. */
function rows(count: number, seed: number): string {
  let state = seed >>> 0;
  const next = (n: number): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n;
  const lines = ['sentence\tlabel'];
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    let score = 0;
    for (let w = 0, n = 3 + next(7); w < n; w++) {
      const kind = next(3);
      const pool = kind === 0 ? GOOD : kind === 1 ? BAD : FILLER;
      words.push(pool[next(pool.length)]!);
      score += kind === 0 ? 1 : kind === 1 ? -1 : 0;
    }
    lines.push(`${words.join(' ')}\t${score > 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface JobFolder {
  readonly modelDir: string;
  readonly trainFile: string;
  readonly devFile: string;
}

export async function writeJobFolder(root: string, trainRows = 37): Promise<JobFolder> {
  const modelDir = join(root, 'model');
  await mkdir(modelDir, { recursive: true });
  const vocabFile = join(root, 'vocab.txt');
  await writeFile(vocabFile, `${[...SPECIAL, ...GOOD, ...BAD, ...FILLER].join('\n')}\n`);
  const tokenizer = await BertTokenizer.fromVocabFile(vocabFile, { doLowerCase: true });
  const config = tinyBertConfig(tokenizer.vocabSize);
  const model = createModel(config, 'sequence-classification', { seed: 1 });
  await model.save(modelDir);
  model.dispose();
  await tokenizer.save(modelDir);
  const trainFile = join(root, 'train.tsv');
  const devFile = join(root, 'dev.tsv');
  await writeFile(trainFile, rows(trainRows, 5));
  await writeFile(devFile, rows(12, 9));
  return { modelDir, trainFile, devFile };
}
