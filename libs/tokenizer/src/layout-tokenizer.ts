import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { padBatch, resolveOptions, type BatchEncoding, type EncodeOptions, type Encoding } from './encoding.ts';
import { TokenizerError } from './tokenizer-error.ts';
import { missingSpecialTokens, REQUIRED_SPECIAL_TOKENS, type ResolvedSpecialTokens, type SpecialKey, type TokenizerTask } from './tokenizer-task.ts';

/**
 * What the tokenizers that place special tokens with a `SpecialTokenLayout` (SubwordTokenizer,
 * MarianTokenizer) share: their JSON files, the batch checks, options and padding, and id lookups.
 */

/** A special token in tokenizer_config.json: a string or an AddedToken object (`{ content }`). */
export const tokenValueSchema = z.union([z.string(), z.looseObject({ content: z.string() }).transform((t) => t.content)]);

/** A JSON file's value; TOKENIZER_NOT_FOUND when it cannot be read, TOKENIZER_INVALID when it is not JSON. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TokenizerError('TOKENIZER_NOT_FOUND', `${file}: cannot read (${(error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerError('TOKENIZER_INVALID', `${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

/** `value` parsed by `schema`; TOKENIZER_INVALID naming `source`, `what` it should be (when given) and every issue. */
export function parseJsonWith<T extends z.ZodType>(schema: T, value: unknown, source: string, what?: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new TokenizerError('TOKENIZER_INVALID', what === undefined ? `${source}: ${issues}` : `${source}: ${what} (${issues})`);
}

/** A tokenizer file's text as Hugging Face writes it: two-space JSON and a final newline. */
export function jsonFileText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** TOKENIZER_INVALID_OPTIONS unless there is one pair per text. */
export function checkPairCount(texts: readonly string[], pairs: readonly string[] | undefined): void {
  if (pairs !== undefined && pairs.length !== texts.length) {
    throw new TokenizerError('TOKENIZER_INVALID_OPTIONS', `encodeBatch: ${texts.length} texts but ${pairs.length} pairs; give one pair per text`);
  }
}

/** The one row of a batch of one. */
export function firstEncoding(batch: BatchEncoding): Encoding {
  return { inputIds: batch.inputIds[0], attentionMask: batch.attentionMask[0], tokenTypeIds: batch.tokenTypeIds[0], wordIds: batch.wordIds[0] };
}

export type ResolvedLayoutOptions = ReturnType<typeof resolveOptions>;

/**
 * Validated options and the layout's truncation length (undefined: no truncation). Truncation is
 * done by the layout (its own special-token count); resolveOptions validates and pads.
 */
export function resolveLayoutOptions(options: EncodeOptions, modelMaxLength: number): { resolved: ResolvedLayoutOptions; maxLength: number | undefined } {
  const resolved = resolveOptions({ ...options, truncation: false }, modelMaxLength);
  const isTruncating = options.truncation ?? options.maxLength !== undefined;
  return { resolved, maxLength: isTruncating ? resolved.maxLength : undefined };
}

/** Laid-out rows padded as `resolved` says; `padId` is asked only when padding is asked for. */
export function padLaidOutRows(rows: Encoding[], resolved: ResolvedLayoutOptions, padId: () => number): BatchEncoding {
  const pad = resolved.padding === false ? -1 : padId();
  return padBatch(rows, { cls: -1, sep: -1, pad }, resolved);
}

/** TOKENIZER_INVALID_ID for the first id outside [0, vocabSize). */
export function checkTokenIds(ids: readonly number[], vocabSize: number): void {
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad !== undefined) throw new TokenizerError('TOKENIZER_INVALID_ID', `token id ${bad} is outside the vocabulary [0, ${vocabSize})`);
}

/** The id of a role's token; TOKENIZER_MISSING_SPECIAL_TOKEN naming `source` and the `use` when the vocabulary has none. */
export function requiredSpecialId(special: ResolvedSpecialTokens, key: SpecialKey, source: string, use = `${key.replace('_token', '')} token id`): number {
  const id = special.ids[key];
  if (id !== undefined) return id;
  throw missingSpecialTokens(special, [key], source, use)!;
}

/** TOKENIZER_MISSING_SPECIAL_TOKEN naming every token `task` needs that `special` lacks. */
export function requireTaskSpecialTokens(special: ResolvedSpecialTokens, task: TokenizerTask, source: string): void {
  const error = missingSpecialTokens(special, REQUIRED_SPECIAL_TOKENS[task], source, `the ${task} task`);
  if (error) throw error;
}

/** `text` as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The special-token ids and the single-text encode of a tokenizer whose special tokens are resolved
 * once (`special`); a role whose token the vocabulary lacks fails where it is used, naming `source`.
 */
export abstract class LayoutTokenizer {
  protected abstract readonly special: ResolvedSpecialTokens;
  /** The file that names this tokenizer in errors. */
  protected abstract readonly source: string;

  abstract encodeBatch(texts: string[], pairs?: string[], options?: EncodeOptions): BatchEncoding;

  get padTokenId(): number {
    return this.requiredId('pad_token');
  }
  get clsTokenId(): number {
    return this.requiredId('cls_token');
  }
  get sepTokenId(): number {
    return this.requiredId('sep_token');
  }
  get maskTokenId(): number {
    return this.requiredId('mask_token');
  }
  get unkTokenId(): number {
    return this.requiredId('unk_token');
  }
  get bosTokenId(): number {
    return this.requiredId('bos_token');
  }
  get eosTokenId(): number {
    return this.requiredId('eos_token');
  }

  /** The id of a role's token, undefined when the vocabulary has none (GPT-2 has no pad). */
  specialTokenId(key: SpecialKey): number | undefined {
    return this.special.ids[key];
  }

  /** Throws TOKENIZER_MISSING_SPECIAL_TOKEN naming every token `task` needs that this tokenizer lacks. */
  requireSpecialTokens(task: TokenizerTask): void {
    requireTaskSpecialTokens(this.special, task, this.source);
  }

  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    return firstEncoding(this.encodeBatch([text], pair === undefined ? undefined : [pair], options));
  }

  protected requiredId(key: SpecialKey, use?: string): number {
    return requiredSpecialId(this.special, key, this.source, use);
  }
}
