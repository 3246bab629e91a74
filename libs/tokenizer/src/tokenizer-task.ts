import { TokenizerError } from './tokenizer-error.ts';

/** What a tokenizer is used for; each needs its own special tokens (REQUIRED_SPECIAL_TOKENS). */
export type TokenizerTask = 'sequence-classification' | 'token-classification' | 'masked-lm' | 'causal-lm' | 'translation';

/** Hugging Face's keys of the special-token roles, in the order tokenizer_config.json lists them. */
export const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'cls_token', 'pad_token', 'mask_token'] as const;
export type SpecialKey = (typeof SPECIAL_KEYS)[number];

/**
 * The roles each task uses. Encoders put cls/sep around the text and pad batches; masked LM also
 * masks; a causal LM needs only eos (to end generation; bos and pad are used where present, as
 * GPT-2's tokenizer has `<|endoftext|>` alone); a seq2seq model appends eos and starts the decoder
 * from pad (Marian, T5).
 */
export const REQUIRED_SPECIAL_TOKENS: Readonly<Record<TokenizerTask, readonly SpecialKey[]>> = {
  'sequence-classification': ['cls_token', 'sep_token', 'pad_token'],
  'token-classification': ['cls_token', 'sep_token', 'pad_token'],
  'masked-lm': ['cls_token', 'sep_token', 'pad_token', 'mask_token'],
  'causal-lm': ['eos_token'],
  translation: ['eos_token', 'pad_token'],
};

/** Role -> token string (configured or default) and role -> id (absent when not in the vocabulary). */
export interface ResolvedSpecialTokens {
  readonly names: Readonly<Partial<Record<SpecialKey, string>>>;
  readonly ids: Readonly<Partial<Record<SpecialKey, number>>>;
}

/** TOKENIZER_MISSING_SPECIAL_TOKEN for the roles `task` (or `use`) needs that `special` lacks; none missing: null. */
export function missingSpecialTokens(special: ResolvedSpecialTokens, keys: readonly SpecialKey[], source: string, use: string): TokenizerError | null {
  const missing = keys.filter((key) => special.ids[key] === undefined);
  if (missing.length === 0) return null;
  const described = missing.map((key) => (special.names[key] === undefined ? `${key} (none named)` : `${key} "${special.names[key]}" (not in the vocabulary)`));
  return new TokenizerError(
    'TOKENIZER_MISSING_SPECIAL_TOKEN',
    `${source}: ${use} needs ${described.join(', ')}; add the token to the vocabulary or name it in tokenizer_config.json`,
  );
}
