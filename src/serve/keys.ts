/**
 * Idempotency keys as the service gives them to the engine: one per (source, kind, id), so
 * order `1001` from shopify and order `1001` from amazon are two orders, and an admin
 * adjustment's id never meets a webhook's. The key is `<kind>:<source>:<id>`: kinds and sources
 * (channel ids, `admin`) contain no colon, so the id, last, may hold anything printable.
 *
 * The payload digest (SKU and delta, SHA-256, 128 bits, base64url) is recorded with the key,
 * so a key reused for a different payload is refused instead of answered `duplicate`.
 */
import { createHash } from 'node:crypto';

export type MutationKind = 'order' | 'adjustment';

/** The source of adjustments, in keys and outbox events. */
export const ADMIN_SOURCE = 'admin';

export function idempotencyKey(kind: MutationKind, source: string, id: string): string {
  return `${kind}:${source}:${id}`;
}

export function payloadDigest(sku: string, quantityDelta: number): string {
  return createHash('sha256').update(`${sku}\u0000${quantityDelta}`).digest('base64url').slice(0, 22);
}

/** A key that was used before for another payload: answered 409, counted, never applied. */
export class KeyReusedError extends Error {
  override readonly name = 'KeyReusedError';
}
