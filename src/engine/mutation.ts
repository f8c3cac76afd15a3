/** Inventory mutations and their outcomes: outcomes are data, not exceptions. */

export interface InventoryMutation {
  /** Idempotency key: the same mutation delivered twice applies once. */
  readonly mutationId: string;
  readonly sku: string;
  /** Negative for an order (`order.confirmed`), positive for a restock (`inventory.adjusted`). */
  readonly quantityDelta: number;
  readonly sourceChannel: string;
  readonly orderId: string;
  /** See CommitRequest.payloadDigest: set by callers whose ids come from outside (the service). */
  readonly payloadDigest?: string;
  /** See CommitRequest.origin. */
  readonly origin?: string;
}

/** `above_max_level`: the level would pass MAX_STOCK_LEVEL (src/engine/limits.ts); recorded, like a stock-out. */
export type RejectionReason = 'insufficient_stock' | 'above_max_level' | 'conflict_retries_exhausted';

export type MutationOutcome =
  | { readonly status: 'applied'; readonly quantity: number; readonly version: number; readonly attempts: number }
  /** `payloadDiffers`: the key was recorded for a different SKU or quantity (a reused key, not a redelivery). */
  | { readonly status: 'duplicate'; readonly payloadDiffers?: true }
  | { readonly status: 'rejected'; readonly reason: RejectionReason; readonly quantity?: number };

/** Throws a TypeError naming the field when a mutation is malformed (a caller bug). */
export function assertValidMutation(m: InventoryMutation): void {
  const problems: string[] = [];
  if (typeof m !== 'object' || m === null) throw new TypeError('mutation must be an object');
  if (typeof m.mutationId !== 'string' || m.mutationId.length === 0) problems.push('mutationId must be a non-empty string');
  if (typeof m.sku !== 'string' || m.sku.length === 0) problems.push('sku must be a non-empty string');
  if (!Number.isSafeInteger(m.quantityDelta) || m.quantityDelta === 0) problems.push('quantityDelta must be a non-zero integer');
  if (typeof m.sourceChannel !== 'string' || m.sourceChannel.length === 0) problems.push('sourceChannel must be a non-empty string');
  if (typeof m.orderId !== 'string') problems.push('orderId must be a string');
  if (problems.length > 0) throw new TypeError(`invalid mutation: ${problems.join('; ')}`);
}
