/**
 * Typed errors from the libs carry a stable `code` and an actionable message; show those plainly.
 * Anything else is a bug: show its stack so it can be reported.
 */
export function formatError(error: unknown): string {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    return `${error.message} [${(error as unknown as { code: string }).code}]`;
  }
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
