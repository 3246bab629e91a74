/** The five BERT special tokens by role, as `tokenizer_config.json` / `special_tokens_map.json` name them. */
export interface SpecialTokens {
  readonly unkToken: string;
  readonly sepToken: string;
  readonly padToken: string;
  readonly clsToken: string;
  readonly maskToken: string;
}

export const DEFAULT_SPECIAL_TOKENS: SpecialTokens = Object.freeze({
  unkToken: '[UNK]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  clsToken: '[CLS]',
  maskToken: '[MASK]',
});

/** Hugging Face's key for each role (`unk_token`, ...), in the order HF writes them. */
export const SPECIAL_TOKEN_KEYS = [
  ['unkToken', 'unk_token'],
  ['sepToken', 'sep_token'],
  ['padToken', 'pad_token'],
  ['clsToken', 'cls_token'],
  ['maskToken', 'mask_token'],
] as const satisfies ReadonlyArray<readonly [keyof SpecialTokens, string]>;

/** `{ unk_token: '[UNK]', ... }`: the content of `special_tokens_map.json`. */
export function specialTokensToHf(tokens: SpecialTokens): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, hfKey] of SPECIAL_TOKEN_KEYS) out[hfKey] = tokens[role];
  return out;
}
