import { randomBytes } from 'node:crypto';

/**
 * The token of a single-process run's live page: the cluster token when TUNEFLEET_TOKEN is set
 * (one secret for everything a user runs), otherwise a random one; the one-time URL printed at
 * start is how the browser gets in either way.
 */
export function livePageToken(): string {
  return process.env.TUNEFLEET_TOKEN || randomBytes(24).toString('hex');
}
