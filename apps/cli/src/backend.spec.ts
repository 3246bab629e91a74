import { errorCode } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { poolMbFromEnv } from './backend.ts';

describe('poolMbFromEnv (TUNEFLEET_POOL_MB, read at the CLI edge)', () => {
  it('is undefined (the backend default) when unset or blank, else the number of megabytes', () => {
    expect(poolMbFromEnv({})).toBeUndefined();
    expect(poolMbFromEnv({ TUNEFLEET_POOL_MB: '  ' })).toBeUndefined();
    expect(poolMbFromEnv({ TUNEFLEET_POOL_MB: '0' })).toBe(0);
    expect(poolMbFromEnv({ TUNEFLEET_POOL_MB: '256' })).toBe(256);
    expect(poolMbFromEnv({ TUNEFLEET_POOL_MB: '0.5' })).toBe(0.5);
  });

  it('refuses a value that is not a number of megabytes >= 0, quoting it', () => {
    for (const text of ['lots', '-1', 'Infinity', '12MB']) {
      let error: unknown;
      try {
        poolMbFromEnv({ TUNEFLEET_POOL_MB: text });
      } catch (e) {
        error = e;
      }
      expect(errorCode(error), text).toBe('CLI_CONFIG_INVALID');
      expect((error as Error).message).toContain(`TUNEFLEET_POOL_MB="${text}": the native output pool size must be a number of megabytes >= 0`);
    }
  });
});
