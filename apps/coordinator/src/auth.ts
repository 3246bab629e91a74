import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks `authorization: Bearer <token>` in constant time: both sides are hashed first, so neither
 * the token's length nor its prefix leaks through timing. Returns why it failed, never the token.
 */
export function checkBearerToken(metadata: Metadata, token: string): 'ok' | 'missing' | 'wrong' {
  const values = metadata.get('authorization');
  if (values.length === 0) return 'missing';
  if (values.length > 1) return 'wrong';
  const presented = typeof values[0] === 'string' ? values[0] : values[0].toString('utf8');
  return timingSafeEqual(digest(presented), digest(`Bearer ${token}`)) ? 'ok' : 'wrong';
}
