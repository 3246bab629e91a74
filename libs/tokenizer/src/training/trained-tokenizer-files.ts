import type { TrainedBpe } from './bpe-trainer.ts';
import type { PreTokenizer } from './pre-tokenizers.ts';

/**
 * Which role a special token plays, by its conventional name: `<|endoftext|>` is GPT-2's bos, eos and
 * unk; `<s>`/`</s>`/`<unk>`/`<pad>`/`<mask>` are SentencePiece's and RoBERTa's names, `[CLS]`... BERT's.
 * Any other special token goes into additional_special_tokens.
 */
const ROLES_BY_NAME: Readonly<Record<string, readonly RoleKey[]>> = {
  '<|endoftext|>': ['bos_token', 'eos_token', 'unk_token'],
  '<s>': ['bos_token'],
  '</s>': ['eos_token'],
  '<unk>': ['unk_token'],
  '<pad>': ['pad_token'],
  '<mask>': ['mask_token'],
  '[CLS]': ['cls_token'],
  '[SEP]': ['sep_token'],
  '[UNK]': ['unk_token'],
  '[PAD]': ['pad_token'],
  '[MASK]': ['mask_token'],
};
type RoleKey = 'bos_token' | 'eos_token' | 'unk_token' | 'sep_token' | 'cls_token' | 'pad_token' | 'mask_token';

/** transformers' VERY_LARGE_INTEGER (int(1e30)), written for "no length limit". */
const NO_LENGTH_LIMIT = '1000000000000000019884624838656';

export interface TrainedTokenizerFiles {
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
  readonly specialTokensMap: Record<string, unknown>;
}

/** Role -> token for the special tokens given (the first token that claims a role keeps it). */
export function specialTokenRoles(specialTokens: readonly string[]): { roles: Partial<Record<RoleKey, string>>; additional: string[] } {
  const roles: Partial<Record<RoleKey, string>> = {};
  const additional: string[] = [];
  for (const token of specialTokens) {
    const claimed = ROLES_BY_NAME[token];
    if (claimed === undefined) additional.push(token);
    else for (const role of claimed) roles[role] ??= token;
  }
  return { roles, additional };
}

/**
 * tokenizer.json, tokenizer_config.json and special_tokens_map.json as `tokenizers` and
 * `transformers` (PreTrainedTokenizerFast.save_pretrained) write them. Post-processing: byte-level
 * keeps GPT-2's ByteLevel processor (no special tokens added); metaspace and whitespace append the
 * eos token when there is one (`$A </s>`, T5's template), as seq2seq models expect.
 */
export function trainedTokenizerFiles(trained: TrainedBpe, preTokenizer: PreTokenizer, specialTokens: readonly string[]): TrainedTokenizerFiles {
  const vocab: Record<string, number> = {};
  trained.vocab.forEach((token, id) => (vocab[token] = id));
  const { roles, additional } = specialTokenRoles(specialTokens);
  const addedToken = (content: string) => ({ content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const eos = roles.eos_token;
  const template = (ids: readonly string[]) => ids.map((id) => (id === '$A' || id === '$B' ? { Sequence: { id: id.slice(1), type_id: 0 } } : { SpecialToken: { id, type_id: 0 } }));
  const postProcessor =
    preTokenizer.type === 'byte-level'
      ? { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true }
      : eos === undefined
        ? null
        : { type: 'TemplateProcessing', single: template(['$A', eos]), pair: template(['$A', eos, '$B', eos]), special_tokens: { [eos]: { id: eos, ids: [vocab[eos]], tokens: [eos] } } };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map((content) => ({ id: vocab[content], ...addedToken(content) })),
    normalizer: null,
    pre_tokenizer: preTokenizer.preTokenizerJson,
    post_processor: postProcessor,
    decoder: preTokenizer.decoderJson,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: preTokenizer.type === 'byte-level' ? null : (roles.unk_token ?? null),
      continuing_subword_prefix: null,
      end_of_word_suffix: preTokenizer.endOfWordSuffix ?? null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: trained.merges.map(([a, b]) => [a, b]),
    },
  };
  const specialTokensMap: Record<string, unknown> = { ...roles, ...(additional.length > 0 ? { additional_special_tokens: additional } : {}) };
  const tokenizerConfig: Record<string, unknown> = {
    added_tokens_decoder: Object.fromEntries(specialTokens.map((content) => [String(vocab[content]), addedToken(content)])),
    ...specialTokensMap,
    clean_up_tokenization_spaces: false,
    extra_special_tokens: {},
    model_max_length: NO_LENGTH_LIMIT,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  return { tokenizerJson, tokenizerConfig, specialTokensMap };
}

/** JSON text with model_max_length as the integer transformers writes, not a string. */
export function configText(config: Record<string, unknown>): string {
  return `${JSON.stringify(config, null, 2).replace(`"model_max_length": "${NO_LENGTH_LIMIT}"`, `"model_max_length": ${NO_LENGTH_LIMIT}`)}\n`;
}

const VOCAB_PLACEHOLDER = '\u0000vocab\u0000';

/**
 * tokenizer.json text with the vocabulary in id order, as `tokenizers` writes it (a JavaScript object
 * would put integer-like tokens such as "0" first).
 */
export function tokenizerJsonText(json: Record<string, unknown>, vocab: readonly string[]): string {
  const model = json.model as Record<string, unknown>;
  const text = JSON.stringify({ ...json, model: { ...model, vocab: VOCAB_PLACEHOLDER } });
  const ordered = `{${vocab.map((token, id) => `${JSON.stringify(token)}:${id}`).join(',')}}`;
  return text.replace(JSON.stringify(VOCAB_PLACEHOLDER), () => ordered);
}
