import { mkdir, stat, writeFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import {
  buildEncoding,
  padBatch,
  resolveOptions,
  type BatchEncoding,
  type EncodeOptions,
  type Encoding,
  type SpecialIds,
} from './encoding.ts';
import { DEFAULT_SPECIAL_TOKENS, SPECIAL_TOKEN_KEYS, specialTokensToHf, type SpecialTokens } from './special-tokens.ts';
import { TokenizerError } from './tokenizer-error.ts';
import type { SpecialKey, TokenizerTask } from './tokenizer-task.ts';
import {
  BERT_MODEL_MAX_LENGTH,
  filePathIn,
  isFile,
  readTokenizerConfig,
  readTokenizerJson,
  readVocabFile,
  usableMaxLength,
  type TokenizerConfig,
} from './tokenizer-files.ts';
import { buildBertTokenizerJson, vocabById, type BertTokenizerSettings, type TokenizerJson } from './tokenizer-json.ts';
import type { TokenSequence } from './truncation.ts';
import { WordSegmenter, type SegmentedText } from './word-segmenter.ts';

/** Where a tokenizer came from, for error messages. */
type Source = string;

/**
 * BERT WordPiece tokenizer. Every text goes through `@huggingface/tokenizers` built from a
 * `tokenizer.json` object: the checkpoint's own, or the one `transformers` would convert from
 * `vocab.txt`. Truncation and special tokens are applied here so that the final [SEP] survives.
 */
export class BertTokenizer {
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  readonly maskTokenId: number;
  readonly unkTokenId: number;
  private readonly hf: Tokenizer;
  private readonly segmenter: WordSegmenter;
  private readonly vocab: readonly string[];
  private readonly tokenToId: ReadonlyMap<string, number>;
  private readonly specialIds: SpecialIds;

  private constructor(
    private readonly json: TokenizerJson,
    readonly settings: BertTokenizerSettings,
    readonly modelMaxLength: number,
    source: Source,
  ) {
    this.vocab = denseVocab(json, source);
    this.tokenToId = new Map(this.vocab.map((token, id) => [token, id]));
    const idOf = specialTokenIds(settings.specialTokens, this.tokenToId, source);
    [this.unkTokenId, this.sepTokenId, this.padTokenId, this.clsTokenId, this.maskTokenId] = idOf;
    this.vocabSize = this.vocab.length;
    this.specialIds = { cls: this.clsTokenId, sep: this.sepTokenId, pad: this.padTokenId };
    try {
      // The library adds added_tokens into its model vocabulary; give it a copy to keep `json` as read.
      this.hf = new Tokenizer(structuredClone(json), { clean_up_tokenization_spaces: true });
    } catch (error) {
      throw new TokenizerError('TOKENIZER_INVALID', `${source}: ${(error as Error).message}`, { cause: error });
    }
    this.segmenter = new WordSegmenter(
      this.hf,
      json.added_tokens.map((token) => token.content),
    );
  }

  /** Loads `dir/tokenizer.json`, else builds from `dir/vocab.txt`; `tokenizer_config.json` is optional. */
  static async fromPretrained(dir: string): Promise<BertTokenizer> {
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new TokenizerError('TOKENIZER_NOT_FOUND', `${dir}: no such tokenizer directory`);
    const config = await readTokenizerConfig(filePathIn(dir, 'tokenizerConfig'));
    const jsonPath = filePathIn(dir, 'tokenizerJson');
    if (await isFile(jsonPath)) {
      const json = await readTokenizerJson(jsonPath);
      const truncation = json.truncation as { max_length?: number } | null | undefined;
      const maxLength = config.modelMaxLength ?? usableMaxLength(truncation?.max_length) ?? BERT_MODEL_MAX_LENGTH;
      return new BertTokenizer(json, settingsFromJson(json, config), maxLength, jsonPath);
    }
    const vocabPath = filePathIn(dir, 'vocab');
    if (await isFile(vocabPath)) return BertTokenizer.fromVocabList(await readVocabFile(vocabPath), config, vocabPath);
    throw new TokenizerError(
      'TOKENIZER_NOT_FOUND',
      `${dir}: neither tokenizer.json nor vocab.txt found; point at a Hugging Face BERT checkpoint directory`,
    );
  }

  /** A BERT tokenizer from a bare `vocab.txt` (bert-base-uncased defaults: lower case, 512 tokens). */
  static async fromVocabFile(
    vocabPath: string,
    options: { doLowerCase?: boolean; modelMaxLength?: number } = {},
  ): Promise<BertTokenizer> {
    const vocab = await readVocabFile(vocabPath);
    const config: TokenizerConfig = {
      doLowerCase: options.doLowerCase,
      modelMaxLength: options.modelMaxLength,
      specialTokens: DEFAULT_SPECIAL_TOKENS,
    };
    return BertTokenizer.fromVocabList(vocab, config, vocabPath);
  }

  private static fromVocabList(vocab: string[], config: TokenizerConfig, source: Source): BertTokenizer {
    const settings: BertTokenizerSettings = {
      doLowerCase: config.doLowerCase ?? true, // BertTokenizer's default
      stripAccents: config.stripAccents ?? null,
      tokenizeChineseChars: config.tokenizeChineseChars ?? true,
      specialTokens: config.specialTokens,
    };
    specialTokenIds(settings.specialTokens, new Map(vocab.map((token, id) => [token, id])), source);
    const json = buildBertTokenizerJson(vocab, settings);
    return new BertTokenizer(json, settings, config.modelMaxLength ?? BERT_MODEL_MAX_LENGTH, source);
  }

  /** Word pieces of `text`, without special tokens: `unaffable` -> `un ##aff ##able`. */
  tokenize(text: string): string[] {
    return this.segmenter.segmentText(text).tokens;
  }

  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    const batch = this.encodeBatch([text], pair === undefined ? undefined : [pair], options);
    return {
      inputIds: batch.inputIds[0],
      attentionMask: batch.attentionMask[0],
      tokenTypeIds: batch.tokenTypeIds[0],
      wordIds: batch.wordIds[0],
    };
  }

  encodeBatch(texts: string[], pairs?: string[], options: EncodeOptions = {}): BatchEncoding {
    if (pairs !== undefined && pairs.length !== texts.length) {
      throw new TokenizerError(
        'TOKENIZER_INVALID_OPTIONS',
        `encodeBatch: ${texts.length} texts but ${pairs.length} pairs; give one pair per text`,
      );
    }
    const resolved = resolveOptions(options, this.modelMaxLength);
    const rows = texts.map((text, i) => {
      const first = this.toSequence(this.segmenter.segmentText(text));
      const second = pairs === undefined ? undefined : this.toSequence(this.segmenter.segmentText(pairs[i]));
      return buildEncoding(first, second, this.specialIds, resolved);
    });
    return padBatch(rows, this.specialIds, resolved);
  }

  /** Pre-split words (Hugging Face's is_split_into_words=True); wordIds index into each row's words. */
  encodeWords(words: string[][], options: EncodeOptions = {}): BatchEncoding {
    const resolved = resolveOptions(options, this.modelMaxLength);
    const rows = words.map((row) =>
      buildEncoding(this.toSequence(this.segmenter.segmentWords(row)), undefined, this.specialIds, resolved),
    );
    return padBatch(rows, this.specialIds, resolved);
  }

  /** BERT has no eos or bos token: TOKENIZER_MISSING_SPECIAL_TOKEN. */
  get eosTokenId(): number {
    throw noEosBos('eos_token');
  }
  get bosTokenId(): number {
    throw noEosBos('bos_token');
  }

  /** The id of a role's token (`cls_token`, ...), undefined for eos/bos, which BERT lacks. */
  specialTokenId(key: SpecialKey): number | undefined {
    const ids: Partial<Record<SpecialKey, number>> = { unk_token: this.unkTokenId, sep_token: this.sepTokenId, pad_token: this.padTokenId, cls_token: this.clsTokenId, mask_token: this.maskTokenId };
    return ids[key];
  }

  /** WordPiece tokenizers have the five BERT tokens (checked at load) and no eos: causal-lm and translation need one. */
  requireSpecialTokens(task: TokenizerTask): void {
    if (task === 'causal-lm' || task === 'translation') {
      throw new TokenizerError('TOKENIZER_MISSING_SPECIAL_TOKEN', `BERT WordPiece tokenizer: the ${task} task needs eos_token, which a WordPiece (BERT) tokenizer does not have; use a BPE or SentencePiece tokenizer`);
    }
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    this.checkIds(ids);
    if (ids.length === 0) return '';
    return this.hf.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  convertIdsToTokens(ids: number[]): string[] {
    this.checkIds(ids);
    return ids.map((id) => this.vocab[id]);
  }

  /** Tokens not in the vocabulary map to unkTokenId. */
  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((token) => this.tokenToId.get(token) ?? this.unkTokenId);
  }

  /** Writes tokenizer.json, tokenizer_config.json, special_tokens_map.json and vocab.txt into `dir`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const { doLowerCase, stripAccents, tokenizeChineseChars, specialTokens } = this.settings;
    const config = {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: doLowerCase,
      strip_accents: stripAccents,
      tokenize_chinese_chars: tokenizeChineseChars,
      model_max_length: this.modelMaxLength,
      clean_up_tokenization_spaces: true,
      ...specialTokensToHf(specialTokens),
    };
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    await writeFile(filePathIn(dir, 'tokenizerJson'), JSON.stringify(this.json));
    await writeFile(filePathIn(dir, 'tokenizerConfig'), json(config));
    await writeFile(filePathIn(dir, 'specialTokensMap'), json(specialTokensToHf(specialTokens)));
    await writeFile(filePathIn(dir, 'vocab'), `${this.vocab.join('\n')}\n`);
  }

  private toSequence(text: SegmentedText): TokenSequence {
    return { ids: this.convertTokensToIds(text.tokens), wordIds: text.wordIds };
  }

  private checkIds(ids: readonly number[]): void {
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad !== undefined) {
      throw new TokenizerError('TOKENIZER_INVALID_ID', `token id ${bad} is outside the vocabulary [0, ${this.vocabSize})`);
    }
  }
}

/** id -> token, requiring ids 0..n-1 without holes (vocab.txt must be writable back line by line). */
function denseVocab(json: TokenizerJson, source: Source): string[] {
  const byId = vocabById(json);
  const hole = byId.findIndex((token) => token === undefined);
  if (hole !== -1) {
    throw new TokenizerError('TOKENIZER_INVALID', `${source}: no token has id ${hole}; ids must run 0..${byId.length - 1}`);
  }
  return byId as string[];
}

/** Ids of [UNK], [SEP], [PAD], [CLS], [MASK] (SPECIAL_TOKEN_KEYS order); all missing ones named at once. */
function specialTokenIds(tokens: SpecialTokens, tokenToId: ReadonlyMap<string, number>, source: Source): number[] {
  const missing = SPECIAL_TOKEN_KEYS.filter(([role]) => !tokenToId.has(tokens[role]));
  if (missing.length > 0) {
    const names = missing.map(([role, hfKey]) => `${hfKey} "${tokens[role]}"`).join(', ');
    throw new TokenizerError(
      'TOKENIZER_MISSING_SPECIAL_TOKEN',
      `${source}: special tokens not in the vocabulary: ${names}; add them or name the right ones in tokenizer_config.json`,
    );
  }
  return SPECIAL_TOKEN_KEYS.map(([role]) => tokenToId.get(tokens[role]) as number);
}

function settingsFromJson(json: TokenizerJson, config: TokenizerConfig): BertTokenizerSettings {
  const normalizer = json.normalizer as Record<string, unknown> | null;
  const isBert = normalizer?.type === 'BertNormalizer';
  return {
    doLowerCase: config.doLowerCase ?? (isBert ? normalizer.lowercase !== false : true),
    stripAccents: config.stripAccents ?? (isBert ? ((normalizer.strip_accents as boolean | null) ?? null) : null),
    tokenizeChineseChars: config.tokenizeChineseChars ?? (isBert ? normalizer.handle_chinese_chars !== false : true),
    specialTokens: { ...config.specialTokens, unkToken: json.model.unk_token },
  };
}

function noEosBos(key: 'eos_token' | 'bos_token'): TokenizerError {
  return new TokenizerError('TOKENIZER_MISSING_SPECIAL_TOKEN', `BERT WordPiece tokenizer: no ${key} (a WordPiece tokenizer has [CLS], [SEP], [PAD], [MASK], [UNK] only)`);
}
