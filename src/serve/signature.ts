/**
 * Webhook signatures: `X-Invsim-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, the scheme
 * Shopify and GitHub use. Verified over the bytes received, before any parsing, and compared in
 * constant time. The k6 scripts sign with the same scheme (loadtest/lib/requests.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-invsim-signature';
const PREFIX = 'sha256=';
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export function signBody(body: string | Uint8Array, secret: string): string {
  return `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' };

/** Checks a header value against the raw body. */
export function verifySignature(header: string | readonly string[] | undefined, body: Uint8Array, secret: string): SignatureCheck {
  if (header === undefined || header.length === 0) return { ok: false, reason: 'missing' };
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' }; // sent twice
  if (!header.startsWith(PREFIX) || !HEX_SHA256.test(header.slice(PREFIX.length))) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(header.slice(PREFIX.length).toLowerCase(), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Constant-time comparison of a bearer token (hashed first, so lengths never leak). */
export function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
