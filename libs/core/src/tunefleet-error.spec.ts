import { describe, expect, it } from 'vitest';
import { errorCode, TunefleetError } from './tunefleet-error.ts';

class ExampleError extends TunefleetError<'EXAMPLE_FAILED'> {
  override readonly name = 'ExampleError';
}

describe('TunefleetError', () => {
  it('carries a stable code, the cause and whether a retry may help', () => {
    const cause = new Error('root');
    const error = new ExampleError('EXAMPLE_FAILED', 'it failed', { cause, isRetryable: true });
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('EXAMPLE_FAILED');
    expect(error.name).toBe('ExampleError');
    expect(error.cause).toBe(cause);
    expect(error.isRetryable).toBe(true);
    expect(new ExampleError('EXAMPLE_FAILED', 'x').isRetryable).toBe(false);
  });

  it('errorCode reads tunefleet and Node errors alike, and nothing else', () => {
    expect(errorCode(new ExampleError('EXAMPLE_FAILED', 'x'))).toBe('EXAMPLE_FAILED');
    const enoent = Object.assign(new Error('no file'), { code: 'ENOENT' });
    expect(errorCode(enoent)).toBe('ENOENT');
    expect(errorCode(new Error('plain'))).toBeUndefined();
    expect(errorCode({ code: 'DUCK' })).toBeUndefined();
    expect(errorCode('string')).toBeUndefined();
  });
});
