import { errorCode, TunefleetError } from '@tunefleet/core';
import { describe, expect, it } from 'vitest';
import { TrainerError, TrainingArgumentsError } from './trainer-error.ts';

describe('trainer errors', () => {
  it('are TunefleetErrors with their stable code and name', () => {
    const error = new TrainerError('METRIC_MISSING', 'no eval_f1', { cause: new Error('root') });
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'TrainerError', code: 'METRIC_MISSING', isRetryable: false });
    expect(errorCode(error)).toBe('METRIC_MISSING');
    expect((error.cause as Error).message).toBe('root');
  });

  it('TrainingArgumentsError lists every issue, keeps them and its source', () => {
    const issues = [{ field: 'learning_rate', message: 'must be > 0' }, { field: 'seed', message: 'must be an integer' }];
    const error = new TrainingArgumentsError('run.yaml', issues);
    expect(error).toBeInstanceOf(TrainerError);
    expect(error).toBeInstanceOf(TunefleetError);
    expect(error).toMatchObject({ name: 'TrainingArgumentsError', code: 'ARGS_INVALID', source: 'run.yaml', issues });
    expect(error.message).toContain('run.yaml: 2 invalid training argument(s):\n  learning_rate: must be > 0\n  seed: must be an integer');
  });
});
