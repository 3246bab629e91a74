import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BertTokenizer } from './bert-tokenizer.ts';
import { MARIAN_FILES, MarianTokenizer } from './sentencepiece/marian-tokenizer.ts';
import { SubwordTokenizer } from './subword-tokenizer.ts';
import { TokenizerError } from './tokenizer-error.ts';
import { filePathIn, isFile } from './tokenizer-files.ts';
import type { TokenizerTask } from './tokenizer-task.ts';

/**
 * A tokenizer of any supported model family: BERT/DistilBERT WordPiece, RoBERTa/GPT-2 BPE, XLM-R/T5
 * Unigram, Marian SentencePiece.
 */
export type PretrainedTokenizer = BertTokenizer | SubwordTokenizer | MarianTokenizer;

export interface LoadTokenizerOptions {
  /** When given, the special tokens the task needs are checked at load (TOKENIZER_MISSING_SPECIAL_TOKEN names them). */
  readonly task?: TokenizerTask;
}

/**
 * The tokenizer of a checkpoint directory, chosen by its tokenizer.json's `model.type`: WordPiece →
 * BertTokenizer (also from a bare vocab.txt), BPE or Unigram → SubwordTokenizer; without a
 * tokenizer.json, source.spm + vocab.json (a Marian checkpoint) → MarianTokenizer. Another model
 * type is TOKENIZER_INVALID naming it.
 */
export async function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): Promise<PretrainedTokenizer> {
  const tokenizer = await loadByFiles(dir);
  if (options.task !== undefined) tokenizer.requireSpecialTokens(options.task);
  return tokenizer;
}

async function loadByFiles(dir: string): Promise<PretrainedTokenizer> {
  const jsonPath = filePathIn(dir, 'tokenizerJson');
  if (!(await isFile(jsonPath))) {
    const isMarian = (await isFile(path.join(dir, MARIAN_FILES.source))) && (await isFile(path.join(dir, MARIAN_FILES.vocab)));
    return isMarian ? MarianTokenizer.fromPretrained(dir) : BertTokenizer.fromPretrained(dir);
  }
  let modelType: unknown;
  try {
    modelType = (JSON.parse(await readFile(jsonPath, 'utf8')) as { model?: { type?: unknown } }).model?.type;
  } catch (error) {
    throw new TokenizerError('TOKENIZER_INVALID', `${jsonPath}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (modelType === 'WordPiece') return BertTokenizer.fromPretrained(dir);
  if (modelType === 'BPE' || modelType === 'Unigram') return SubwordTokenizer.fromPretrained(dir);
  throw new TokenizerError(
    'TOKENIZER_INVALID',
    `${jsonPath}: model.type ${JSON.stringify(modelType ?? null)} is not supported; expected WordPiece (BERT), BPE (RoBERTa, GPT-2) or Unigram (XLM-R, T5)`,
  );
}
