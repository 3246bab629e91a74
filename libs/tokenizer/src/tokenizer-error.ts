import { TunefleetError } from '@tunefleet/core';

/** Stable codes callers can branch on; the message says what happened and what to do. */
export type TokenizerErrorCode =
  | 'TOKENIZER_NOT_FOUND' // the directory holds neither tokenizer.json nor vocab.txt, or a file is missing
  | 'TOKENIZER_INVALID' // a file exists but cannot be parsed or is not a BERT WordPiece tokenizer
  | 'TOKENIZER_MISSING_SPECIAL_TOKEN' // [CLS], [SEP], ... is not in the vocabulary
  | 'TOKENIZER_INVALID_OPTIONS' // encode options that cannot be satisfied (maxLength too small, ...)
  | 'TOKENIZER_INVALID_ID' // an id outside the vocabulary was given to decode / convertIdsToTokens
  | 'TOKENIZER_TRAINING_INVALID' // train-tokenizer options that cannot be used, or training text that cannot be read
  | 'TOKENIZER_UNSUPPORTED'; // a SentencePiece model feature this library does not implement (named in the message)

export class TokenizerError extends TunefleetError<TokenizerErrorCode> {
  override readonly name: string = 'TokenizerError';

  constructor(code: TokenizerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
