import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { BatchEncoding, EncodeOptions } from '../encoding.ts';
import { checkPairCount, checkTokenIds, escapeRegExp, jsonFileText, LayoutTokenizer, padLaidOutRows, parseJsonWith, readJsonFile, resolveLayoutOptions, tokenValueSchema } from '../layout-tokenizer.ts';
import { SpecialTokenLayout } from '../special-token-layout.ts';
import { TokenizerError } from '../tokenizer-error.ts';
import { usableMaxLength } from '../tokenizer-files.ts';
import { missingSpecialTokens, type ResolvedSpecialTokens, type SpecialKey } from '../tokenizer-task.ts';
import type { TokenSequence } from '../truncation.ts';
import { readSentencePieceModel } from './sentencepiece-model.ts';
import { UnigramModel } from './unigram-model.ts';

/** The files of a Marian checkpoint's tokenizer (transformers' MarianTokenizer.vocab_files_names). */
export const MARIAN_FILES = { source: 'source.spm', target: 'target.spm', vocab: 'vocab.json', targetVocab: 'target_vocab.json', config: 'tokenizer_config.json' } as const;
/** MarianTokenizer's default model_max_length. */
const MARIAN_MAX_LENGTH = 512;
/** MarianTokenizer's language_code_re: a `>>xx<<` code at the start of a text is a token of its own. */
const LANGUAGE_CODE = /^>>.+<</u;
const LANGUAGE_CODES = />>.+<</gu;

const configSchema = z.looseObject({
  unk_token: tokenValueSchema.default('<unk>'),
  eos_token: tokenValueSchema.default('</s>'),
  pad_token: tokenValueSchema.default('<pad>'),
  model_max_length: z.number().optional(),
  separate_vocabs: z.boolean().default(false),
});
const vocabSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * transformers' MarianTokenizer: SentencePiece Unigram models for source (`source.spm`) and target
 * (`target.spm`) text, and one vocab.json (or target_vocab.json with separate_vocabs) that maps
 * pieces to the model's ids. A text is split on the special tokens (`</s>`, `<unk>`, `<pad>`, kept
 * whole), a leading `>>xx<<` language code becomes a token, the rest goes through the SentencePiece
 * model, pieces missing from vocab.json become `<unk>`, and `</s>` is appended (`A </s>`,
 * `A B </s>` for a pair). Decoding uses the target model, as generation output is target text.
 */
export class MarianTokenizer extends LayoutTokenizer {
  readonly vocabSize: number;
  readonly modelMaxLength: number;
  protected readonly special: ResolvedSpecialTokens;
  private readonly layout: SpecialTokenLayout;
  private readonly byId: string[];
  private readonly specialSplit: RegExp;

  private constructor(
    private readonly dir: string,
    private readonly sourceModel: UnigramModel,
    private readonly targetModel: UnigramModel,
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly targetVocab: ReadonlyMap<string, number>,
    private readonly config: z.output<typeof configSchema>,
    protected readonly source: string,
  ) {
    super();
    const names = { unk_token: config.unk_token, eos_token: config.eos_token, pad_token: config.pad_token };
    const ids: Partial<Record<SpecialKey, number>> = {};
    for (const [key, name] of Object.entries(names) as [SpecialKey, string][]) if (vocab.has(name)) ids[key] = vocab.get(name)!;
    this.special = { names, ids };
    const missing = missingSpecialTokens(this.special, ['eos_token', 'unk_token', 'pad_token'], source, 'MarianTokenizer');
    if (missing) throw missing;
    this.byId = [];
    for (const [token, id] of vocab) this.byId[id] = token;
    this.vocabSize = this.byId.length;
    this.modelMaxLength = usableMaxLength(config.model_max_length) ?? MARIAN_MAX_LENGTH;
    const eos = config.eos_token;
    const seq = (id: 'A' | 'B') => ({ Sequence: { id, type_id: 0 } });
    const end = { SpecialToken: { id: eos, type_id: 0 } };
    this.layout = SpecialTokenLayout.fromPostProcessor({ type: 'TemplateProcessing', single: [seq('A'), end], pair: [seq('A'), seq('B'), end] }, (t) => vocab.get(t), source);
    this.specialSplit = new RegExp(`(${[...new Set(Object.values(names))].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')})`, 'u');
  }

  /** A directory with source.spm, target.spm (source.spm when absent), vocab.json and, optionally, tokenizer_config.json. */
  static async fromPretrained(dir: string): Promise<MarianTokenizer> {
    const file = (name: keyof typeof MARIAN_FILES) => path.join(dir, MARIAN_FILES[name]);
    const configPath = file('config');
    const config = parseJsonWith(configSchema, (await exists(configPath)) ? await readJsonFile(configPath) : {}, configPath);
    const sourceModel = await readModel(file('source'));
    const targetModel = (await exists(file('target'))) ? await readModel(file('target')) : sourceModel;
    const vocab = new Map(Object.entries(parseJsonWith(vocabSchema, await readJsonFile(file('vocab')), file('vocab'))));
    const targetVocab = config.separate_vocabs ? new Map(Object.entries(parseJsonWith(vocabSchema, await readJsonFile(file('targetVocab')), file('targetVocab')))) : vocab;
    return new MarianTokenizer(dir, sourceModel, targetModel, vocab, targetVocab, config, file('vocab'));
  }

  get modelType(): 'Unigram' {
    return 'Unigram';
  }
  /** Marian's: eos, unk and pad. */
  get specialTokens(): Readonly<Partial<Record<SpecialKey, string>>> {
    return this.special.names;
  }

  /** Pieces of a source text (`target`: of a target text), without `</s>`. */
  tokenize(text: string, options: { target?: boolean } = {}): string[] {
    const model = options.target ? this.targetModel : this.sourceModel;
    return text.split(this.specialSplit).flatMap((chunk, i) => {
      if (i % 2 === 1) return [chunk];
      if (chunk.length === 0) return [];
      const code = LANGUAGE_CODE.exec(chunk);
      return [...(code ? [code[0]] : []), ...model.encode(chunk.replace(LANGUAGE_CODES, ''))];
    });
  }

  encodeBatch(texts: string[], pairs?: string[], options: EncodeOptions = {}): BatchEncoding {
    checkPairCount(texts, pairs);
    return this.encodeRows(texts.map((text, i) => [this.sequence(text, false), pairs === undefined ? undefined : this.sequence(pairs[i], false)]), options);
  }

  /** Target texts (`text_target=`): target.spm and the target vocabulary, `</s>` appended. */
  encodeTargetBatch(texts: string[], options: EncodeOptions = {}): BatchEncoding {
    return this.encodeRows(texts.map((text) => [this.sequence(text, true), undefined]), options);
  }

  /** Pre-split words: each word is encoded on its own (its own `▁`), word ids per piece. */
  encodeWords(words: string[][], options: EncodeOptions = {}): BatchEncoding {
    return this.encodeRows(
      words.map((row) => {
        const ids: number[] = [];
        const wordIds: number[] = [];
        row.forEach((word, wordId) => {
          for (const id of this.sequence(word, false).ids) {
            ids.push(id);
            wordIds.push(wordId);
          }
        });
        return [{ ids, wordIds }, undefined];
      }),
      options,
    );
  }

  /** MarianTokenizer.decode: target pieces joined by SentencePiece, special tokens kept as text unless skipped. */
  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const specials = new Set(Object.values(this.special.names));
    const tokens = this.convertIdsToTokens(ids).filter((token) => !(options.skipSpecialTokens && specials.has(token)));
    let out = '';
    let current: string[] = [];
    for (const token of tokens) {
      if (specials.has(token)) {
        out += `${this.targetModel.decode(current)}${token} `;
        current = [];
      } else current.push(token);
    }
    out += this.targetModel.decode(current);
    return out.replaceAll('\u2581', ' ').trim();
  }

  convertIdsToTokens(ids: number[]): string[] {
    checkTokenIds(ids, this.vocabSize);
    return ids.map((id) => this.byId[id] ?? this.config.unk_token);
  }

  convertTokensToIds(tokens: string[]): number[] {
    return tokens.map((token) => this.vocab.get(token) ?? this.unkTokenId);
  }

  /** Copies the SentencePiece models and vocabularies and writes tokenizer_config.json and special_tokens_map.json. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const names: (keyof typeof MARIAN_FILES)[] = ['source', 'target', 'vocab', ...(this.config.separate_vocabs ? (['targetVocab'] as const) : [])];
    for (const name of names) {
      const from = path.join(this.dir, MARIAN_FILES[name]);
      const to = path.join(dir, MARIAN_FILES[name]);
      if (path.resolve(from) !== path.resolve(to) && (await exists(from))) await copyFile(from, to);
    }
    await writeFile(path.join(dir, MARIAN_FILES.config), jsonFileText({ tokenizer_class: 'MarianTokenizer', ...this.config, model_max_length: this.modelMaxLength }));
    await writeFile(path.join(dir, 'special_tokens_map.json'), jsonFileText(this.special.names));
  }

  private sequence(text: string, isTarget: boolean): TokenSequence {
    const vocab = isTarget ? this.targetVocab : this.vocab;
    const ids = this.tokenize(text, { target: isTarget }).map((piece) => vocab.get(piece) ?? this.unkTokenId);
    return { ids, wordIds: ids.map(() => 0) };
  }

  private encodeRows(rows: [TokenSequence, TokenSequence | undefined][], options: EncodeOptions): BatchEncoding {
    const { resolved, maxLength } = resolveLayoutOptions(options, this.modelMaxLength);
    return padLaidOutRows(
      rows.map(([a, b]) => this.layout.build(a, b, maxLength)),
      resolved,
      () => this.padTokenId,
    );
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

async function readModel(file: string): Promise<UnigramModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new TokenizerError('TOKENIZER_NOT_FOUND', `${file}: cannot read (${(error as Error).message})`, { cause: error });
  }
  return new UnigramModel(readSentencePieceModel(bytes, file), file);
}
