// The chaos job's inputs: a tiny BERT (hidden 32, 2 layers, 4 heads, dropout off) with its
// WordPiece vocabulary, and a learnable SST-2-shaped train.tsv, all written once per run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createModel, parseBertConfig } from '@tunefleet/model';
import { BertTokenizer } from '@tunefleet/tokenizer';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const GOOD = ['good', 'great', 'fine', 'lovely', 'superb', 'funny', 'warm', 'bright'];
const BAD = ['bad', 'dull', 'awful', 'boring', 'weak', 'flat', 'tired', 'messy'];
const FILLER = Array.from({ length: 40 }, (_, i) => `w${i}`);

export interface ChaosFixture {
  readonly modelDir: string;
  readonly trainFile: string;
  readonly trainRows: number;
}

export async function writeChaosFixture(dir: string, trainRows: number): Promise<ChaosFixture> {
  const modelDir = join(dir, 'model');
  await mkdir(modelDir, { recursive: true });
  const vocabFile = join(dir, 'vocab.txt');
  await writeFile(vocabFile, `${[...SPECIAL, ...GOOD, ...BAD, ...FILLER].join('\n')}\n`);
  const tokenizer = await BertTokenizer.fromVocabFile(vocabFile, { doLowerCase: true });
  const config = parseBertConfig(
    {
      vocab_size: tokenizer.vocabSize,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 37,
      max_position_embeddings: 32,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      id2label: { 0: 'neg', 1: 'pos' },
    },
    '<chaos fixture>',
  );
  const model = createModel(config, 'sequence-classification', { seed: 1 });
  await model.save(modelDir);
  model.dispose();
  await tokenizer.save(modelDir);
  let state = 5;
  const next = (n: number): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n;
  const lines = ['sentence\tlabel'];
  for (let i = 0; i < trainRows; i++) {
    const words: string[] = [];
    let score = 0;
    for (let w = 0, n = 3 + next(6); w < n; w++) {
      const kind = next(3);
      const pool = kind === 0 ? GOOD : kind === 1 ? BAD : FILLER;
      words.push(pool[next(pool.length)]!);
      score += kind === 0 ? 1 : kind === 1 ? -1 : 0;
    }
    lines.push(`${words.join(' ')}\t${score > 0 ? 1 : 0}`);
  }
  const trainFile = join(dir, 'train.tsv');
  await writeFile(trainFile, `${lines.join('\n')}\n`);
  return { modelDir, trainFile, trainRows };
}
