import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorCode } from '@tunefleet/core';
import { z } from 'zod';
import { DEFAULT_SPECIAL_TOKENS, SPECIAL_TOKEN_KEYS, type SpecialTokens } from './special-tokens.ts';
import { TokenizerError } from './tokenizer-error.ts';
import { tokenizerJsonSchema, type TokenizerJson } from './tokenizer-json.ts';

/** BERT's position-embedding count; used when a config gives no usable model_max_length. */
export const BERT_MODEL_MAX_LENGTH = 512;
/** Hugging Face writes 1e30 (VERY_LARGE_INTEGER) for "no limit"; anything past this is treated as unset. */
const MAX_PLAUSIBLE_LENGTH = 1_000_000;

export async function isFile(filePath: string): Promise<boolean> {
  try {
    return (await stat(filePath)).isFile();
  } catch {
    return false;
  }
}

async function readText(filePath: string): Promise<string> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    const isMissing = errorCode(error) === 'ENOENT';
    throw new TokenizerError(
      isMissing ? 'TOKENIZER_NOT_FOUND' : 'TOKENIZER_INVALID',
      `${filePath}: cannot read (${(error as Error).message})`,
      { cause: error },
    );
  }
}

async function readJson(filePath: string): Promise<unknown> {
  const text = await readText(filePath);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerError('TOKENIZER_INVALID', `${filePath}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** One token a line, line number (from 0) = id. Duplicates are rejected: they would make ids ambiguous. */
export async function readVocabFile(vocabPath: string): Promise<string[]> {
  const lines = (await readText(vocabPath)).split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new TokenizerError('TOKENIZER_INVALID', `${vocabPath}: the vocabulary is empty`);
  const firstLine = new Map<string, number>();
  lines.forEach((token, index) => {
    const seen = firstLine.get(token);
    if (seen !== undefined) {
      throw new TokenizerError(
        'TOKENIZER_INVALID',
        `${vocabPath} line ${index + 1}: token "${token}" repeats line ${seen + 1}; each token needs one id`,
      );
    }
    firstLine.set(token, index);
  });
  return lines;
}

export async function readTokenizerJson(jsonPath: string): Promise<TokenizerJson> {
  const parsed = tokenizerJsonSchema.safeParse(await readJson(jsonPath));
  if (!parsed.success) {
    throw new TokenizerError(
      'TOKENIZER_INVALID',
      `${jsonPath}: not a BERT WordPiece tokenizer.json (${describeIssues(parsed.error)})`,
    );
  }
  return parsed.data;
}

const tokenValue = z.union([z.string(), z.looseObject({ content: z.string() }).transform((t) => t.content)]);

const tokenizerConfigSchema = z.looseObject({
  do_lower_case: z.boolean().optional(),
  strip_accents: z.boolean().nullable().optional(),
  tokenize_chinese_chars: z.boolean().optional(),
  model_max_length: z.number().optional(),
  unk_token: tokenValue.optional(),
  sep_token: tokenValue.optional(),
  pad_token: tokenValue.optional(),
  cls_token: tokenValue.optional(),
  mask_token: tokenValue.optional(),
});

/** `tokenizer_config.json` as far as a BERT tokenizer uses it; every field optional. */
export interface TokenizerConfig {
  readonly doLowerCase?: boolean;
  readonly stripAccents?: boolean | null;
  readonly tokenizeChineseChars?: boolean;
  readonly modelMaxLength?: number;
  readonly specialTokens: SpecialTokens;
}

/** Reads `tokenizer_config.json` when present; `{}`-equivalent defaults when absent. */
export async function readTokenizerConfig(configPath: string): Promise<TokenizerConfig> {
  if (!(await isFile(configPath))) return { specialTokens: DEFAULT_SPECIAL_TOKENS };
  const parsed = tokenizerConfigSchema.safeParse(await readJson(configPath));
  if (!parsed.success) {
    throw new TokenizerError('TOKENIZER_INVALID', `${configPath}: ${describeIssues(parsed.error)}`);
  }
  const config = parsed.data;
  const specialTokens = { ...DEFAULT_SPECIAL_TOKENS };
  for (const [role, hfKey] of SPECIAL_TOKEN_KEYS) specialTokens[role] = config[hfKey] ?? specialTokens[role];
  return {
    doLowerCase: config.do_lower_case,
    stripAccents: config.strip_accents,
    tokenizeChineseChars: config.tokenize_chinese_chars,
    modelMaxLength: usableMaxLength(config.model_max_length),
    specialTokens,
  };
}

export function usableMaxLength(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isInteger(value) || value <= 0 || value > MAX_PLAUSIBLE_LENGTH) return undefined;
  return value;
}

export const TOKENIZER_FILES = {
  tokenizerJson: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  specialTokensMap: 'special_tokens_map.json',
  /** Where current transformers saves a tokenizer's chat template (older ones: tokenizer_config's chat_template). */
  chatTemplate: 'chat_template.jinja',
  vocab: 'vocab.txt',
} as const;

export function filePathIn(dir: string, name: keyof typeof TOKENIZER_FILES): string {
  return path.join(dir, TOKENIZER_FILES[name]);
}
