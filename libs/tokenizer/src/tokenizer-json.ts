import { z } from 'zod';
import type { SpecialTokens } from './special-tokens.ts';

/** Options of a BERT WordPiece tokenizer, as `tokenizer_config.json` states them. */
export interface BertTokenizerSettings {
  readonly doLowerCase: boolean;
  /** null: follow doLowerCase, as Hugging Face's BertNormalizer does. */
  readonly stripAccents: boolean | null;
  readonly tokenizeChineseChars: boolean;
  readonly specialTokens: SpecialTokens;
}

/**
 * What we need of a Hugging Face `tokenizer.json`; other keys are kept as they are (loose objects),
 * so a loaded file is written back unchanged.
 */
export const tokenizerJsonSchema = z.looseObject({
  version: z.string().optional(),
  added_tokens: z
    .array(
      z.looseObject({
        id: z.number().int().nonnegative(),
        content: z.string(),
        special: z.boolean().optional(),
      }),
    )
    .default([]),
  normalizer: z.looseObject({ type: z.string() }).nullable(),
  pre_tokenizer: z.looseObject({ type: z.string() }).nullable(),
  post_processor: z.looseObject({ type: z.string() }).nullable(),
  decoder: z.looseObject({ type: z.string() }).nullable(),
  model: z.looseObject({
    type: z.literal('WordPiece'),
    unk_token: z.string(),
    continuing_subword_prefix: z.string().default('##'),
    max_input_chars_per_word: z.number().int().positive().default(100),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
  }),
});
export type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;

/** Hugging Face's WordPiece limit: a longer word becomes [UNK]. */
const MAX_INPUT_CHARS_PER_WORD = 100;
const SUBWORD_PREFIX = '##';

/**
 * The `tokenizer.json` that `transformers`' BertConverter produces for a `vocab.txt`: BertNormalizer,
 * BertPreTokenizer, WordPiece with `##` continuation, `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`
 * templates and a WordPiece decoder. `vocab[id]` is the token of that id.
 */
export function buildBertTokenizerJson(vocab: readonly string[], settings: BertTokenizerSettings): TokenizerJson {
  const vocabMap: Record<string, number> = Object.create(null);
  vocab.forEach((token, id) => {
    vocabMap[token] = id;
  });
  const { clsToken, sepToken } = settings.specialTokens;
  const special = [...new Set(Object.values(settings.specialTokens))]
    .filter((token) => token in vocabMap)
    .map((token) => ({ id: vocabMap[token], content: token }))
    .sort((a, b) => a.id - b.id);
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const tok = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map(({ id, content }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: settings.tokenizeChineseChars,
      strip_accents: settings.stripAccents,
      lowercase: settings.doLowerCase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok(clsToken, 0), seq('A', 0), tok(sepToken, 0)],
      pair: [tok(clsToken, 0), seq('A', 0), tok(sepToken, 0), seq('B', 1), tok(sepToken, 1)],
      special_tokens: Object.fromEntries(
        [clsToken, sepToken].map((t) => [t, { id: t, ids: [vocabMap[t]], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: SUBWORD_PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: settings.specialTokens.unkToken,
      continuing_subword_prefix: SUBWORD_PREFIX,
      max_input_chars_per_word: MAX_INPUT_CHARS_PER_WORD,
      vocab: vocabMap,
    },
  };
}

/** id -> token over the model vocabulary and the added tokens; holes stay undefined. */
export function vocabById(json: TokenizerJson): (string | undefined)[] {
  const byId: (string | undefined)[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) byId[id] = token;
  for (const added of json.added_tokens) byId[added.id] = added.content;
  return byId;
}
