import { readFile } from 'node:fs/promises';
import { BertTokenizer } from './bert-tokenizer.ts';
import { SubwordTokenizer } from './subword-tokenizer.ts';
import { TokenizerError } from './tokenizer-error.ts';
import { filePathIn, isFile } from './tokenizer-files.ts';

/** A tokenizer of any supported model family: BERT/DistilBERT WordPiece, RoBERTa BPE, XLM-R Unigram. */
export type PretrainedTokenizer = BertTokenizer | SubwordTokenizer;

/**
 * The tokenizer of a checkpoint directory, chosen by its tokenizer.json's `model.type`: WordPiece →
 * BertTokenizer (also from a bare vocab.txt), BPE or Unigram → SubwordTokenizer. Another model type
 * is TOKENIZER_INVALID naming it.
 */
export async function loadTokenizer(dir: string): Promise<PretrainedTokenizer> {
  const jsonPath = filePathIn(dir, 'tokenizerJson');
  if (!(await isFile(jsonPath))) return BertTokenizer.fromPretrained(dir);
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
    `${jsonPath}: model.type ${JSON.stringify(modelType ?? null)} is not supported; expected WordPiece (BERT), BPE (RoBERTa) or Unigram (XLM-R)`,
  );
}
