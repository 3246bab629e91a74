import { errorCode, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { CoordinatorError, JobSpecError } from './coordinator-error.ts';

describe('coordinator errors', () => {
  it('are TunefleetErrors with their stable code and name', () => {
    const error = new CoordinatorError('JOB_NOT_FOUND', 'job j-1 not found');
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'CoordinatorError', code: 'JOB_NOT_FOUND', isRetryable: false });
    expect(errorCode(new CoordinatorError('BIND_FAILED', 'x', { cause: new Error('EADDRINUSE') }))).toBe('BIND_FAILED');
  });

  it('JobSpecError lists every invalid field with its line, and keeps the issues', () => {
    const issues = [{ field: 'world_size', message: 'must be >= 1', line: 5 }, { field: 'name', message: 'is required' }];
    const error = new JobSpecError('job.yaml', issues);
    expect(error).toBeInstanceOf(CoordinatorError);
    expect(error).toMatchObject({ name: 'JobSpecError', code: 'JOB_SPEC_INVALID', issues });
    expect(error.message).toBe('job.yaml: 2 invalid job spec field(s):\n  world_size (line 5): must be >= 1\n  name: is required');
  });
});
