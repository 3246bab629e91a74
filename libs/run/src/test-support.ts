// Helpers shared by libs/run's specs (not exported from index.ts).
import { RunSpecError } from './run-spec-error.ts';

/** The RunSpecError that `run` throws; fails the test when it throws nothing or another error. */
export function runSpecError(run: () => unknown): RunSpecError {
  try {
    run();
  } catch (error) {
    if (error instanceof RunSpecError) return error;
    throw error;
  }
  throw new Error('expected a RunSpecError');
}
