import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

export const SESSION_COOKIE = 'tunefleet_session';
// Sessions are in memory: a restarted server asks again. 1000 is far more browsers than one page has.
const MAX_SESSIONS = 1000;

export type AuthVerdict = 'ok' | 'missing' | 'wrong';

/**
 * Who may see the live page: the RPCs' token (form, `?token=` or `authorization: Bearer`), or the
 * one-time code of the URL printed at start, either exchanged for a random session cookie. The
 * cookie holds no secret of the cluster; the one-time code works once.
 */
export class UiAuth {
  private readonly sessions = new Set<string>();
  private oneTimeCode: string | undefined = randomBytes(18).toString('base64url');

  constructor(private readonly token: string) {}

  /** The code of the URL printed at start; `undefined` once it was used. */
  get startCode(): string | undefined {
    return this.oneTimeCode;
  }

  /** The token or the unused one-time code: a new session id. Otherwise why not. */
  exchange(presented: string | null | undefined): { verdict: AuthVerdict; session?: string } {
    if (presented === null || presented === undefined || presented === '') return { verdict: 'missing' };
    const isCode = this.oneTimeCode !== undefined && sameSecret(presented, this.oneTimeCode);
    if (!isCode && !sameSecret(presented, this.token)) return { verdict: 'wrong' };
    if (isCode) this.oneTimeCode = undefined;
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.values().next().value!);
    const session = randomBytes(24).toString('base64url');
    this.sessions.add(session);
    return { verdict: 'ok', session };
  }

  /** A request's session cookie or bearer token. */
  check(request: IncomingMessage): AuthVerdict {
    const header = request.headers.authorization;
    if (header !== undefined) return sameSecret(header, `Bearer ${this.token}`) ? 'ok' : 'wrong';
    const session = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (session === undefined) return 'missing';
    for (const known of this.sessions) if (sameSecret(session, known)) return 'ok';
    return 'wrong';
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
