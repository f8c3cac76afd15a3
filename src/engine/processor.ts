/**
 * InventoryMutationProcessor: applies order and restock mutations to the source of truth.
 *
 * Per attempt: read `{quantity, version}`, decide, then commit level + idempotency record +
 * outbox event in one atomic store call that refuses a mutation already recorded and succeeds
 * only if the version is unchanged. A lost race is retried with jittered exponential
 * backoff up to a bound. Stock never goes below zero nor above MAX_STOCK_LEVEL: such a mutation
 * is rejected, and the rejection is recorded too, so a redelivery of a rejected order stays rejected.
 */
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './defaults.js';
import { MAX_STOCK_LEVEL } from './limits.js';
import { assertValidMutation, type InventoryMutation, type MutationOutcome } from './mutation.js';
import type { AlertSink, Clock, InventoryStore, Random, Timers } from './ports.js';

export interface ConflictRetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_CONFLICT_RETRY: ConflictRetryPolicy = { maxAttempts: 64, baseDelayMs: 1, maxDelayMs: 100 };
export { DEFAULT_IDEMPOTENCY_TTL_MS };

export interface ProcessorPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly alerts: AlertSink;
}

export interface ProcessorOptions extends ProcessorPorts {
  readonly store: InventoryStore;
  readonly idempotencyTtlMs?: number;
  readonly conflictRetry?: ConflictRetryPolicy;
  /** Called after every successful commit (event-driven dispatch hooks in here). */
  readonly onCommitted?: (sku: string, outboxSeq: number) => void;
}

export interface ProcessorStats {
  applied: number;
  duplicates: number;
  rejectedInsufficientStock: number;
  rejectedAboveMaxLevel: number;
  rejectedConflicts: number;
  versionConflicts: number;
}

export class InventoryMutationProcessor {
  readonly stats: ProcessorStats = {
    applied: 0,
    duplicates: 0,
    rejectedInsufficientStock: 0,
    rejectedAboveMaxLevel: 0,
    rejectedConflicts: 0,
    versionConflicts: 0,
  };
  private readonly store: InventoryStore;
  private readonly ports: ProcessorPorts;
  private readonly ttlMs: number;
  private readonly retry: ConflictRetryPolicy;
  private readonly onCommitted: ((sku: string, outboxSeq: number) => void) | undefined;

  constructor(options: ProcessorOptions) {
    this.store = options.store;
    this.ports = options;
    this.ttlMs = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.retry = options.conflictRetry ?? DEFAULT_CONFLICT_RETRY;
    this.onCommitted = options.onCommitted;
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) throw new RangeError(`idempotencyTtlMs must be > 0, got ${this.ttlMs}`);
    if (!Number.isInteger(this.retry.maxAttempts) || this.retry.maxAttempts < 1) {
      throw new RangeError(`conflictRetry.maxAttempts must be an integer >= 1, got ${this.retry.maxAttempts}`);
    }
  }

  async handle(mutation: InventoryMutation): Promise<MutationOutcome> {
    assertValidMutation(mutation);
    const { store, ports } = this;
    // No separate idempotency look-up first: the commit checks the key atomically, before the
    // version, so a redelivery is answered `duplicate` in the same two round trips.
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      const level = await store.read(mutation.sku);
      const next = level.quantity + mutation.quantityDelta;
      const tooHigh = next > MAX_STOCK_LEVEL;
      const effect = next < 0 || tooHigh ? 'reject' : 'apply';
      const nowMs = ports.clock.nowMs();
      const result = await store.commit(
        {
          effect,
          sku: mutation.sku,
          expectedVersion: level.version,
          quantity: effect === 'apply' ? next : level.quantity,
          mutationId: mutation.mutationId,
          idempotencyTtlMs: this.ttlMs,
          outbox: { sourceChannel: mutation.sourceChannel, committedAtMs: nowMs },
          ...(mutation.payloadDigest === undefined ? {} : { payloadDigest: mutation.payloadDigest }),
          ...(mutation.origin === undefined ? {} : { origin: mutation.origin }),
        },
        nowMs,
      );
      if (result.ok) {
        if (effect === 'reject') {
          if (tooHigh) {
            this.stats.rejectedAboveMaxLevel++;
            return { status: 'rejected', reason: 'above_max_level', quantity: level.quantity };
          }
          this.stats.rejectedInsufficientStock++;
          return { status: 'rejected', reason: 'insufficient_stock', quantity: level.quantity };
        }
        if (result.level.quantity < 0) throw new Error(`invariant: ${mutation.sku} committed below zero`);
        this.stats.applied++;
        this.onCommitted?.(mutation.sku, result.outboxSeq);
        return { status: 'applied', quantity: result.level.quantity, version: result.level.version, attempts: attempt };
      }
      if (result.reason === 'duplicate') {
        const recorded = result.recorded?.payloadDigest;
        return this.duplicate(mutation.payloadDigest !== undefined && recorded !== undefined && recorded !== mutation.payloadDigest);
      }
      this.stats.versionConflicts++;
      if (attempt < this.retry.maxAttempts) await ports.timers.sleep(this.backoffMs(attempt));
    }
    this.stats.rejectedConflicts++;
    ports.alerts.raise({
      kind: 'conflict_retries_exhausted',
      severity: 'warning',
      message: `mutation ${mutation.mutationId} on ${mutation.sku} lost ${this.retry.maxAttempts} optimistic commits in a row`,
      atMs: ports.clock.nowMs(),
      detail: { mutationId: mutation.mutationId, sku: mutation.sku },
    });
    return { status: 'rejected', reason: 'conflict_retries_exhausted' };
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return ceiling * this.ports.random.next();
  }

  private duplicate(payloadDiffers: boolean): MutationOutcome {
    this.stats.duplicates++;
    return payloadDiffers ? { status: 'duplicate', payloadDiffers: true } : { status: 'duplicate' };
  }
}
