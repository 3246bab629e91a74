import { TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { CliConfigError } from './cli-config-error.ts';
import { formatError } from './format-error.ts';

describe('formatError', () => {
  it('prints a tunefleet error as its message and code', () => {
    expect(formatError(new CliConfigError('--task: "x" is not one of a, b'))).toBe('--task: "x" is not one of a, b [CLI_CONFIG_INVALID]');
    expect(formatError(new TunefleetError('DATA_INVALID_ROWS', 'train.tsv:3: empty text'))).toBe('train.tsv:3: empty text [DATA_INVALID_ROWS]');
  });

  it('prints an error with a stable string code (Node, libs not yet on TunefleetError) the same way', () => {
    expect(formatError(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe('no such file [ENOENT]');
  });

  it('prints anything else as a bug: the stack', () => {
    const bug = new TypeError('x is undefined');
    expect(formatError(bug)).toBe(bug.stack);
    expect(formatError(Object.assign(new Error('odd'), { code: 7 }))).toMatch(/^Error: odd\n {4}at /);
    expect(formatError('thrown string')).toBe('thrown string');
  });
});
