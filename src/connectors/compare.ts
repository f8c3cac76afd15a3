/** Constant-time comparison of secrets (tokens, signatures): what every webhook intake and API check uses. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of a bearer token or signature (hashed first, so lengths never leak). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
