export { BertTokenizer } from './bert-tokenizer.ts';
export type { BatchEncoding, EncodeOptions, Encoding } from './encoding.ts';
export type { SpecialTokens } from './special-tokens.ts';
export { TokenizerError, type TokenizerErrorCode } from './tokenizer-error.ts';
export type { BertTokenizerSettings } from './tokenizer-json.ts';
export { longestFirstLengths } from './truncation.ts';
export { SubwordTokenizer } from './subword-tokenizer.ts';
export { loadTokenizer, type PretrainedTokenizer } from './load-tokenizer.ts';
