import { errorCode, IGNORE_INDEX as CORE_IGNORE_INDEX, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { DataError, IGNORE_INDEX } from './index.ts';

describe('DataError', () => {
  it('is a TunefleetError with its stable code, name and the bad rows behind it', () => {
    const badRows = [{ file: 'train.tsv', line: 812, reason: 'label "neutral" is not one of [negative, positive]' }];
    const error = new DataError('DATA_INVALID_ROWS', 'train.tsv: 1 bad row', badRows);
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'DataError', code: 'DATA_INVALID_ROWS', badRows, isRetryable: false });
    expect(errorCode(error)).toBe('DATA_INVALID_ROWS');
  });

  it('labels ignored positions with the one IGNORE_INDEX of libs/core', () => {
    expect(IGNORE_INDEX).toBe(CORE_IGNORE_INDEX);
  });
});
