import { errorCode, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from './tokenizer-error.ts';

describe('TokenizerError', () => {
  it('is a TunefleetError with its stable code, name and cause', () => {
    const cause = new Error('ENOENT');
    const error = new TokenizerError('TOKENIZER_NOT_FOUND', 'vocab.txt: cannot read', { cause });
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'TokenizerError', code: 'TOKENIZER_NOT_FOUND', cause, isRetryable: false });
    expect(errorCode(error)).toBe('TOKENIZER_NOT_FOUND');
  });
});
