import { errorCode } from '@tunefleet/core';

/**
 * How the CLI prints a failure. An error with a stable code (a TunefleetError's, or Node's such as
 * ENOENT, as `errorCode` reads them) has an actionable message: show it plainly with its code.
 * Anything else is a bug: show its stack so it can be reported.
 */
export function formatError(error: unknown): string {
  const code = errorCode(error);
  if (error instanceof Error && code !== undefined) return `${error.message} [${code}]`;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
