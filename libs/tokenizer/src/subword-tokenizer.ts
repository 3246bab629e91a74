import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import type { BatchEncoding, EncodeOptions } from './encoding.ts';
import { checkPairCount, checkTokenIds, escapeRegExp, jsonFileText, LayoutTokenizer, padLaidOutRows, parseJsonWith, readJsonFile, resolveLayoutOptions, tokenValueSchema, type ResolvedLayoutOptions } from './layout-tokenizer.ts';
import { SpecialTokenLayout } from './special-token-layout.ts';
import { TokenizerError } from './tokenizer-error.ts';
import { SPECIAL_KEYS, type ResolvedSpecialTokens, type SpecialKey } from './tokenizer-task.ts';
import { BERT_MODEL_MAX_LENGTH, filePathIn, isFile, usableMaxLength } from './tokenizer-files.ts';
import type { TokenSequence } from './truncation.ts';
import { WordSegmenter, type SegmentedText } from './word-segmenter.ts';

/**
 * What a byte-level BPE (RoBERTa, GPT-2) or Unigram (XLM-R, SentencePiece) `tokenizer.json` must
 * hold; other keys are kept as they are, so a loaded file is written back unchanged.
 */
const subwordTokenizerJsonSchema = z.looseObject({
  added_tokens: z
    .array(z.looseObject({ id: z.number().int().nonnegative(), content: z.string(), lstrip: z.boolean().optional(), rstrip: z.boolean().optional() }))
    .default([]),
  normalizer: z.looseObject({ type: z.string() }).nullable().optional(),
  pre_tokenizer: z.looseObject({ type: z.string() }).nullable().optional(),
  post_processor: z.looseObject({ type: z.string() }).nullable().optional(),
  decoder: z.looseObject({ type: z.string() }).nullable().optional(),
  model: z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('BPE'), vocab: z.record(z.string(), z.number().int().nonnegative()), merges: z.array(z.unknown()) }),
    z.looseObject({ type: z.literal('Unigram'), vocab: z.array(z.tuple([z.string(), z.number()])), unk_id: z.number().int().nonnegative().nullable().optional() }),
  ]),
});
type SubwordTokenizerJson = z.infer<typeof subwordTokenizerJsonSchema>;

const configSchema = z.looseObject({
  tokenizer_class: z.string().optional(),
  model_max_length: z.number().optional(),
  bos_token: tokenValueSchema.optional(),
  eos_token: tokenValueSchema.optional(),
  unk_token: tokenValueSchema.optional(),
  sep_token: tokenValueSchema.optional(),
  cls_token: tokenValueSchema.optional(),
  pad_token: tokenValueSchema.optional(),
  mask_token: tokenValueSchema.optional(),
});

/**
 * RoBERTa's and XLM-R's special tokens (the same strings in both), by Hugging Face key: used for a
 * role tokenizer_config.json does not name, when the token is in the vocabulary.
 */
const DEFAULT_SPECIAL: Readonly<Record<SpecialKey, string>> = {
  bos_token: '<s>',
  eos_token: '</s>',
  unk_token: '<unk>',
  sep_token: '</s>',
  cls_token: '<s>',
  pad_token: '<pad>',
  mask_token: '<mask>',
};

/** GPT-2's one special token: its bos, eos and unk when tokenizer_config.json names none and `<s>`... are absent. */
const GPT2_END_OF_TEXT = '<|endoftext|>';
const GPT2_ROLES: ReadonlySet<SpecialKey> = new Set(['bos_token', 'eos_token', 'unk_token']);

/**
 * A tokenizer.json with a byte-level BPE (RoBERTa) or Unigram (XLM-R) model, run by
 * `@huggingface/tokenizers` one pre-token at a time (so each token knows its word); special tokens,
 * truncation (longest_first) and padding are applied here from the file's post_processor. Pre-split
 * words are encoded as Hugging Face's is_split_into_words does for these models: every word is
 * pre-tokenized on its own, with a leading space (RoBERTa's add_prefix_space=True, XLM-R's "▁").
 *
 * Special tokens are those the file has: a role (pad, cls, ...) whose token is not in the vocabulary
 * is absent, and only what uses it fails, naming the token and the use (`requireSpecialTokens(task)`,
 * the `*TokenId` getters, padding), so GPT-2's tokenizer.json with `<|endoftext|>` alone loads.
 */
export class SubwordTokenizer extends LayoutTokenizer {
  readonly vocabSize: number;
  /** Role -> token string, for the roles whose token is in the vocabulary. */
  readonly specialTokens: Readonly<Partial<Record<SpecialKey, string>>>;
  protected readonly special: ResolvedSpecialTokens;
  private readonly hf: Tokenizer;
  private readonly segmenter: WordSegmenter;
  private readonly byId: (string | undefined)[];
  private readonly tokenToId: ReadonlyMap<string, number>;
  private readonly layout: SpecialTokenLayout;
  private readonly isByteLevel: boolean;
  /** Whitespace that an added token with lstrip/rstrip swallows (`<mask>` in RoBERTa and XLM-R). */
  private readonly strippedSpace: RegExp | null;

  /** The text of the directory's `chat_template.jinja`, if it had one (save writes it back). */
  private chatTemplateFile: string | undefined;

  private constructor(
    private readonly json: SubwordTokenizerJson,
    private readonly config: Record<string, unknown>,
    configured: Readonly<Partial<Record<SpecialKey, string>>>,
    readonly modelMaxLength: number,
    protected readonly source: string,
  ) {
    super();
    this.byId = vocabById(json);
    this.tokenToId = new Map(this.byId.flatMap((token, id) => (token === undefined ? [] : [[token, id] as const])));
    this.vocabSize = this.byId.length;
    this.special = resolveSpecialTokens(configured, this.tokenToId);
    this.specialTokens = Object.fromEntries(SPECIAL_KEYS.flatMap((key) => (this.special.ids[key] === undefined ? [] : [[key, this.special.names[key]!]])));
    const processor = json.post_processor ?? robertaProcessing(this.special);
    this.layout = SpecialTokenLayout.fromPostProcessor(processor, (t) => this.tokenToId.get(t), source);
    this.isByteLevel = usesByteLevel(json.pre_tokenizer);
    try {
      this.hf = new Tokenizer(structuredClone(json), {});
    } catch (error) {
      throw new TokenizerError('TOKENIZER_INVALID', `${source}: ${(error as Error).message}`, { cause: error });
    }
    this.segmenter = new WordSegmenter(this.hf, json.added_tokens.map((token) => token.content));
    this.strippedSpace = strippedSpacePattern(json.added_tokens);
  }

  /** Loads `dir/tokenizer.json` (BPE or Unigram) and, when present, `dir/tokenizer_config.json`. */
  static async fromPretrained(dir: string): Promise<SubwordTokenizer> {
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new TokenizerError('TOKENIZER_NOT_FOUND', `${dir}: no such tokenizer directory`);
    const jsonPath = filePathIn(dir, 'tokenizerJson');
    if (!(await isFile(jsonPath))) throw new TokenizerError('TOKENIZER_NOT_FOUND', `${dir}: no tokenizer.json (a BPE or Unigram tokenizer needs one)`);
    const configPath = filePathIn(dir, 'tokenizerConfig');
    const config = (await isFile(configPath)) ? parseWith(configSchema, await readJsonFile(configPath), configPath) : {};
    const tokenizer = SubwordTokenizer.fromJson(await readJsonFile(jsonPath), config, jsonPath);
    // Current transformers saves the chat template beside the config; it travels with the tokenizer.
    const templatePath = filePathIn(dir, 'chatTemplate');
    if (await isFile(templatePath)) tokenizer.chatTemplateFile = await readFile(templatePath, 'utf8');
    return tokenizer;
  }

  /** A tokenizer from a parsed tokenizer.json (and tokenizer_config.json fields); `source` names it in errors. */
  static fromJson(tokenizerJson: unknown, config: Record<string, unknown>, source: string): SubwordTokenizer {
    const json = parseWith(subwordTokenizerJsonSchema, tokenizerJson, source);
    const parsedConfig = parseWith(configSchema, config, `${source} (tokenizer_config)`);
    const special = Object.fromEntries(
      SPECIAL_KEYS.flatMap((key) => (parsedConfig[key] === undefined ? [] : [[key, parsedConfig[key] as string]])),
    ) as Partial<Record<SpecialKey, string>>;
    const truncation = json.truncation as { max_length?: number } | null | undefined;
    const maxLength = usableMaxLength(parsedConfig.model_max_length) ?? usableMaxLength(truncation?.max_length) ?? BERT_MODEL_MAX_LENGTH;
    return new SubwordTokenizer(json, config, special, maxLength, source);
  }

  /** `BPE` (RoBERTa's byte-level BPE) or `Unigram` (XLM-R's SentencePiece model). */
  get modelType(): 'BPE' | 'Unigram' {
    return this.json.model.type;
  }

  /** Sub-word tokens of `text`, without special tokens (`Ġworld`, `▁hello`). */
  tokenize(text: string): string[] {
    return this.segmenter.segmentText(this.stripAroundAddedTokens(text)).tokens;
  }

  encodeBatch(texts: string[], pairs?: string[], options: EncodeOptions = {}): BatchEncoding {
    checkPairCount(texts, pairs);
    const { resolved, maxLength } = resolveLayoutOptions(options, this.modelMaxLength);
    const rows = texts.map((text, i) => {
      const first = this.toSequence(this.segmenter.segmentText(this.stripAroundAddedTokens(text)));
      const second = pairs === undefined ? undefined : this.toSequence(this.segmenter.segmentText(this.stripAroundAddedTokens(pairs[i])));
      return this.layout.build(first, second, maxLength);
    });
    return padLaidOutRows(rows, resolved, this.padId(resolved));
  }

  /** Target texts of a seq2seq pair (`text_target=`): the same model as the source here (T5, trained tokenizers). */
  encodeTargetBatch(texts: string[], options: EncodeOptions = {}): BatchEncoding {
    return this.encodeBatch(texts, undefined, options);
  }

  /** Pre-split words (is_split_into_words=True); wordIds index into each row's words. */
  encodeWords(words: string[][], options: EncodeOptions = {}): BatchEncoding {
    const { resolved, maxLength } = resolveLayoutOptions(options, this.modelMaxLength);
    const prefix = this.isByteLevel ? ' ' : '';
    const rows = words.map((row) => this.layout.build(this.toSequence(this.segmenter.segmentWords(row.map((word) => prefix + word))), undefined, maxLength));
    return padLaidOutRows(rows, resolved, this.padId(resolved));
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    this.checkIds(ids);
    if (ids.length === 0) return '';
    return this.hf.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  convertIdsToTokens(ids: number[]): string[] {
    this.checkIds(ids);
    return ids.map((id) => this.byId[id] ?? this.special.names.unk_token ?? '');
  }

  /** Tokens not in the vocabulary map to unkTokenId (an error when there is no unk token). */
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((token) => this.tokenToId.get(token) ?? this.requiredId('unk_token', `token "${token}", which is not in the vocabulary,`));
  }

  /** Writes tokenizer.json (as read), tokenizer_config.json and special_tokens_map.json into `dir`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const tokenizerClass = this.json.model.type === 'Unigram' ? 'XLMRobertaTokenizer' : this.specialTokens.cls_token === undefined ? 'PreTrainedTokenizerFast' : 'RobertaTokenizer';
    const config = { tokenizer_class: tokenizerClass, ...this.config, model_max_length: this.modelMaxLength, ...this.specialTokens };
    await writeFile(filePathIn(dir, 'tokenizerJson'), JSON.stringify(this.json));
    await writeFile(filePathIn(dir, 'tokenizerConfig'), jsonFileText(config));
    await writeFile(filePathIn(dir, 'specialTokensMap'), jsonFileText(this.specialTokens));
    if (this.chatTemplateFile !== undefined) await writeFile(filePathIn(dir, 'chatTemplate'), this.chatTemplateFile);
  }

  /** The pad id, looked up (and required) only when padding is asked for. */
  private padId(resolved: ResolvedLayoutOptions): () => number {
    return () => this.requiredId('pad_token', `padding ('${resolved.padding}')`);
  }

  private stripAroundAddedTokens(text: string): string {
    return this.strippedSpace === null ? text : text.replace(this.strippedSpace, '');
  }

  private toSequence(text: SegmentedText): TokenSequence {
    return { ids: this.convertTokensToIds(text.tokens), wordIds: text.wordIds };
  }

  private checkIds(ids: readonly number[]): void {
    checkTokenIds(ids, this.vocabSize);
  }
}

/** id -> token over the model vocabulary (BPE map or Unigram list) and the added tokens. */
function vocabById(json: SubwordTokenizerJson): (string | undefined)[] {
  const byId: (string | undefined)[] = [];
  if (json.model.type === 'BPE') for (const [token, id] of Object.entries(json.model.vocab)) byId[id] = token;
  else json.model.vocab.forEach(([piece], id) => (byId[id] = piece));
  for (const added of json.added_tokens) byId[added.id] = added.content;
  return byId;
}

/** Configured names, else RoBERTa's defaults (GPT-2's `<|endoftext|>` for bos/eos/unk when only it exists); ids of those the vocabulary has. */
function resolveSpecialTokens(configured: Readonly<Partial<Record<SpecialKey, string>>>, tokenToId: ReadonlyMap<string, number>): ResolvedSpecialTokens {
  const names: Partial<Record<SpecialKey, string>> = {};
  const ids: Partial<Record<SpecialKey, number>> = {};
  for (const key of SPECIAL_KEYS) {
    const gpt2 = GPT2_ROLES.has(key) && !tokenToId.has(DEFAULT_SPECIAL[key]) && tokenToId.has(GPT2_END_OF_TEXT);
    const name = configured[key] ?? (gpt2 ? GPT2_END_OF_TEXT : DEFAULT_SPECIAL[key]);
    names[key] = name;
    const id = tokenToId.get(name);
    if (id !== undefined) ids[key] = id;
  }
  return { names, ids };
}

/** RoBERTa's post-processor for a tokenizer.json that has none but has cls and sep; no special tokens otherwise. */
function robertaProcessing(special: ResolvedSpecialTokens): Record<string, unknown> {
  const { cls_token: cls, sep_token: sep } = special.ids;
  if (cls === undefined || sep === undefined) return { type: 'ByteLevel' };
  return { type: 'RobertaProcessing', cls: [special.names.cls_token, cls], sep: [special.names.sep_token, sep] };
}

function usesByteLevel(preTokenizer: { type: string } | null | undefined): boolean {
  if (!preTokenizer) return false;
  if (preTokenizer.type === 'ByteLevel') return true;
  const inner = (preTokenizer as { pretokenizers?: { type: string }[] }).pretokenizers;
  return preTokenizer.type === 'Sequence' && Array.isArray(inner) && inner.some((p) => usesByteLevel(p));
}

/** Whitespace before lstrip and after rstrip added tokens (`<mask>`): Hugging Face strips it. */
function strippedSpacePattern(added: readonly { content: string; lstrip?: boolean; rstrip?: boolean }[]): RegExp | null {
  const alternatives = [
    ...added.filter((t) => t.lstrip).map((t) => `\\s+(?=${escapeRegExp(t.content)})`),
    ...added.filter((t) => t.rstrip).map((t) => `(?<=${escapeRegExp(t.content)})\\s+`),
  ];
  return alternatives.length === 0 ? null : new RegExp(alternatives.join('|'), 'gu');
}

/** parseJsonWith, saying what the file should have been. */
function parseWith<T extends z.ZodType>(schema: T, value: unknown, source: string): z.output<T> {
  return parseJsonWith(schema, value, source, 'not a BPE or Unigram tokenizer.json');
}
