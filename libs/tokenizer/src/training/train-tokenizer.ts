import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TokenizerError } from '../tokenizer-error.ts';
import { filePathIn } from '../tokenizer-files.ts';
import { trainBpe } from './bpe-trainer.ts';
import { preTokenizerFor, type PreTokenizerType } from './pre-tokenizers.ts';
import { configText, tokenizerJsonText, trainedTokenizerFiles } from './trained-tokenizer-files.ts';

export interface TrainTokenizerOptions {
  /** Plain-text files, one sequence a line (a `.gz` name is gunzipped). */
  readonly files: readonly string[];
  readonly type: PreTokenizerType;
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly specialTokens: readonly string[];
  readonly outputDir: string;
}

export interface TrainTokenizerResult {
  readonly lines: number;
  readonly distinctWords: number;
  readonly vocabSize: number;
  readonly merges: number;
  /** The three files written. */
  readonly files: readonly string[];
}

/** Special tokens when none are given: GPT-2's one for byte-level, T5's three otherwise. */
export function defaultSpecialTokens(type: PreTokenizerType): string[] {
  return type === 'byte-level' ? ['<|endoftext|>'] : ['<pad>', '</s>', '<unk>'];
}

/**
 * Word counts after pre-tokenisation, BpeTrainer, and the Hugging Face files in `outputDir`. Each
 * line is one sequence without its line break, as `tokenizer.train_from_iterator(lines)` sees it
 * (`Tokenizer.train(files)` keeps the `\n`, which Metaspace would glue to the last word of a line).
 */
export async function trainTokenizer(options: TrainTokenizerOptions): Promise<TrainTokenizerResult> {
  checkOptions(options);
  const preTokenizer = preTokenizerFor(options.type);
  const wordCounts = new Map<string, number>();
  let lines = 0;
  for (const file of options.files) {
    for await (const line of readLines(file)) {
      lines++;
      for (const word of preTokenizer.split(line)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
  }
  if (wordCounts.size === 0) throw new TokenizerError('TOKENIZER_TRAINING_INVALID', `${options.files.join(', ')}: no text to train on (${lines} lines, all empty)`);
  const specialTokens = [...new Set(options.specialTokens)];
  const trained = trainBpe(wordCounts, {
    vocabSize: options.vocabSize,
    minFrequency: options.minFrequency,
    specialTokens,
    initialAlphabet: preTokenizer.initialAlphabet,
    ...(preTokenizer.endOfWordSuffix === undefined ? {} : { endOfWordSuffix: preTokenizer.endOfWordSuffix }),
  });
  const files = trainedTokenizerFiles(trained, preTokenizer, specialTokens);
  await mkdir(options.outputDir, { recursive: true });
  const written = [filePathIn(options.outputDir, 'tokenizerJson'), filePathIn(options.outputDir, 'tokenizerConfig'), filePathIn(options.outputDir, 'specialTokensMap')];
  await writeFile(written[0], tokenizerJsonText(files.tokenizerJson, trained.vocab));
  await writeFile(written[1], configText(files.tokenizerConfig));
  await writeFile(written[2], `${JSON.stringify(files.specialTokensMap, null, 2)}\n`);
  return { lines, distinctWords: wordCounts.size, vocabSize: trained.vocab.length, merges: trained.merges.length, files: written };
}

function checkOptions(options: TrainTokenizerOptions): void {
  const problems: string[] = [];
  if (options.files.length === 0) problems.push('no training files: give at least one text file');
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) problems.push(`--vocab-size must be a positive integer, got ${options.vocabSize}`);
  if (!Number.isInteger(options.minFrequency) || options.minFrequency < 0) problems.push(`--min-frequency must be an integer >= 0, got ${options.minFrequency}`);
  const empty = options.specialTokens.findIndex((token) => token.length === 0);
  if (empty >= 0) problems.push(`--special-tokens: token ${empty + 1} is empty`);
  if (problems.length > 0) throw new TokenizerError('TOKENIZER_TRAINING_INVALID', problems.join('; '));
}

/** Lines of a plain or gzipped text file, without their line breaks. */
async function* readLines(file: string): AsyncGenerator<string> {
  const isFile = await stat(file).then((s) => s.isFile(), () => false);
  if (!isFile) throw new TokenizerError('TOKENIZER_NOT_FOUND', `${file}: no such training file`);
  const raw = createReadStream(file);
  const stream: Readable = path.extname(file) === '.gz' ? raw.pipe(createGunzip()) : raw;
  const failed = new Promise<never>((_, reject) => {
    const fail = (error: Error) => reject(new TokenizerError('TOKENIZER_TRAINING_INVALID', `${file}: cannot read (${error.message})`, { cause: error }));
    raw.on('error', fail);
    stream.on('error', fail);
  });
  failed.catch(() => undefined);
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  const iterator = reader[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), failed]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    reader.close();
    raw.destroy();
  }
}
