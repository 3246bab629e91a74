/**
 * Benchmark, not a test: load time and SST-2 tokenization throughput.
 *   npx tsx libs/tokenizer/bench/tokenize-sst2.ts [train.tsv] [vocab.txt]
 * Defaults read ../shared/data (run from the repository root).
 */
import { readFile } from 'node:fs/promises';
import { BertTokenizer } from '../src/index.ts';

const tsvPath = process.argv[2] ?? '../shared/data/sst2/train.tsv';
const vocabPath = process.argv[3] ?? '../shared/data/vocab/bert-base-uncased/vocab.txt';

const loadStart = performance.now();
const tokenizer = await BertTokenizer.fromVocabFile(vocabPath);
const loadMs = performance.now() - loadStart;

const sentences = (await readFile(tsvPath, 'utf8'))
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t')[0]);

for (const round of [1, 2]) {
  const start = performance.now();
  const batch = tokenizer.encodeBatch(sentences, undefined, { padding: 'longest', truncation: true, maxLength: 128 });
  const ms = performance.now() - start;
  const tokens = batch.attentionMask.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  console.log(
    `round ${round}: ${sentences.length} sentences, ${tokens} tokens in ${ms.toFixed(0)} ms ` +
      `(${((sentences.length / ms) * 1000).toFixed(0)} sentences/s), padded to ${batch.inputIds[0].length}`,
  );
}
console.log(`load (vocab.txt -> tokenizer.json -> @huggingface/tokenizers): ${loadMs.toFixed(0)} ms`);
