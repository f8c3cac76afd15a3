/**
 * Webhook signatures, Stripe's scheme: `X-Invsim-Signature: t=<unix seconds>,v1=<hex>`, where
 * the hex is the HMAC-SHA256, keyed with the webhook secret, of `<t>.<raw body>`. Because the
 * time is signed, a captured webhook cannot be replayed later than the tolerance (default 5
 * minutes, either side of the receiver's clock); within it, the idempotency record answers the
 * replay `duplicate`, so the idempotency TTL must be at least the tolerance. Several `v1=` are
 * accepted (a secret being rotated). Verified over the bytes received, before any parsing, and
 * compared in constant time. The k6 scripts sign the same way (loadtest/lib/requests.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-invsim-signature';
export const DEFAULT_SIGNATURE_TOLERANCE_S = 300;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const TIMESTAMP = /^\d{1,12}$/;

/** The header value for `body` signed at `nowMs` (default: now). */
export function signBody(body: string | Uint8Array, secret: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' }
  | { readonly ok: false; readonly reason: 'expired'; readonly skewS: number };

export interface VerifyOptions {
  /** The receiver's clock (default Date.now()). */
  readonly nowMs?: number;
  /** How far the signed time may be from `nowMs`, either way (default 300 s). */
  readonly toleranceS?: number;
}

/** Checks a header value against the raw body and the time. */
export function verifySignature(header: string | readonly string[] | undefined, body: Uint8Array, secret: string, options: VerifyOptions = {}): SignatureCheck {
  if (header === undefined || header.length === 0) return { ok: false, reason: 'missing' };
  if (typeof header !== 'string') return { ok: false, reason: 'malformed' }; // sent twice
  const parsed = parseHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(hmacHex(secret, parsed.t, body), 'hex');
  const matches = parsed.v1.some((given) => timingSafeEqual(Buffer.from(given, 'hex'), expected));
  if (!matches) return { ok: false, reason: 'mismatch' };
  const skewS = Math.floor((options.nowMs ?? Date.now()) / 1000) - parsed.t;
  if (Math.abs(skewS) > (options.toleranceS ?? DEFAULT_SIGNATURE_TOLERANCE_S)) return { ok: false, reason: 'expired', skewS };
  return { ok: true };
}

function parseHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !TIMESTAMP.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      v1.push(value.toLowerCase());
    }
    // Other schemes (v0, a future v2) are ignored, as Stripe's receivers do.
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

function hmacHex(secret: string, t: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

export { tokenMatches } from '../connectors/compare.js';
