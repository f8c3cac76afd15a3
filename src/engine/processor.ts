/**
 * InventoryMutationProcessor: applies order and restock mutations to the source of truth.
 *
 * Per attempt: read `{quantity, version}`, decide, then commit level + idempotency record +
 * outbox event in one atomic store call that refuses a mutation already recorded and succeeds
 * only if the version is unchanged. A lost race is retried with jittered exponential
 * backoff up to a bound. Stock never goes below zero nor above MAX_STOCK_LEVEL: such a mutation
 * is rejected, and the rejection is recorded too, so a redelivery of a rejected order stays rejected.
 *
 * Two drivers, one set of decisions: `handle` awaits the store's promise methods (the service,
 * Redis, PostgreSQL); `handleThen` chains the store's continuations and `timers.after` (the
 * simulator), creating no promise. Both call the same synchronous `plan`, `settle`, `backoffMs`
 * and `exhausted`, in the same order, so they draw the same jitter and count the same stats.
 */
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './defaults.js';
import { MAX_STOCK_LEVEL } from './limits.js';
import { assertValidMutation, type InventoryMutation, type MutationOutcome } from './mutation.js';
import type { AlertSink, Clock, CommitRequest, CommitResult, Fail, InventoryStore, Random, StockLevel, Timers } from './ports.js';

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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One attempt's commit and what it was decided on. */
interface AttemptPlan {
  readonly request: CommitRequest;
  readonly level: StockLevel;
  readonly tooHigh: boolean;
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
      const plan = this.plan(mutation, level);
      const result = await store.commit(plan.request, plan.request.outbox.committedAtMs);
      const outcome = this.settle(mutation, plan, result, attempt);
      if (outcome !== undefined) return outcome;
      if (attempt < this.retry.maxAttempts) await ports.timers.sleep(this.backoffMs(attempt));
    }
    return this.exhausted(mutation);
  }

  /**
   * `handle` in continuation form: the same decisions (`plan`, `settle`, `backoffMs`, `exhausted`)
   * driven by the store's continuations and `timers.after`, creating no promise, so the simulator
   * pays no promise per step. Calls `done` or `fail` exactly once, never before it returns. With
   * a store or timers that lack the continuation forms it is `handle(mutation).then(done, fail)`.
   */
  handleThen(mutation: InventoryMutation, done: (outcome: MutationOutcome) => void, fail: Fail): void {
    const store = this.store.continuations;
    const timers = this.ports.timers;
    const after = timers.after;
    if (store === undefined || after === undefined) {
      this.handle(mutation).then(done, fail);
      return;
    }
    const maxAttempts = this.retry.maxAttempts;
    let attempt = 1;
    let plan: AttemptPlan;
    // Each step calls the decision code inside a try so that whatever would reject `handle`
    // reaches `fail`, and calls `done`/`fail` outside it, so a throwing caller's callback is
    // not taken for the processor's failure (and answered twice).
    const committed = (result: CommitResult): void => {
      let outcome: MutationOutcome | undefined;
      let waitMs = 0;
      try {
        outcome = this.settle(mutation, plan, result, attempt);
        if (outcome === undefined) {
          if (attempt < maxAttempts) waitMs = this.backoffMs(attempt);
          else outcome = this.exhausted(mutation);
        }
      } catch (error) {
        fail(error);
        return;
      }
      if (outcome !== undefined) {
        done(outcome);
        return;
      }
      attempt++;
      after.call(timers, waitMs, read);
    };
    const levelRead = (level: StockLevel): void => {
      try {
        plan = this.plan(mutation, level);
      } catch (error) {
        fail(error);
        return;
      }
      store.commit(plan.request, plan.request.outbox.committedAtMs, committed, fail);
    };
    const read = (): void => store.read(mutation.sku, levelRead, fail);
    try {
      assertValidMutation(mutation);
    } catch (error) {
      // `handle` rejects rather than throws: answer a bad mutation later too, never synchronously.
      after.call(timers, 0, () => fail(error));
      return;
    }
    read();
  }

  /** One attempt's decision on the level read: apply or reject, and the atomic commit that records it. */
  private plan(mutation: InventoryMutation, level: StockLevel): AttemptPlan {
    const next = level.quantity + mutation.quantityDelta;
    const tooHigh = next > MAX_STOCK_LEVEL;
    const effect = next < 0 || tooHigh ? 'reject' : 'apply';
    const nowMs = this.ports.clock.nowMs();
    const request: Mutable<CommitRequest> = {
      effect,
      sku: mutation.sku,
      expectedVersion: level.version,
      quantity: effect === 'apply' ? next : level.quantity,
      mutationId: mutation.mutationId,
      idempotencyTtlMs: this.ttlMs,
      outbox: { sourceChannel: mutation.sourceChannel, committedAtMs: nowMs },
    };
    // Assigned, not spread: two fewer objects per attempt on the hot path, same keys in the same order.
    if (mutation.payloadDigest !== undefined) request.payloadDigest = mutation.payloadDigest;
    if (mutation.origin !== undefined) request.origin = mutation.origin;
    return { request, level, tooHigh };
  }

  /**
   * What the commit's answer means: the outcome, or undefined for a lost race (counted; the
   * caller waits `backoffMs(attempt)` and tries again while attempts remain, else `exhausted`).
   * Throws on a broken invariant, which ends `handle` with a rejection and `handleThen` in `fail`.
   */
  private settle(mutation: InventoryMutation, plan: AttemptPlan, result: CommitResult, attempt: number): MutationOutcome | undefined {
    if (result.ok) {
      if (plan.request.effect === 'reject') {
        if (plan.tooHigh) {
          this.stats.rejectedAboveMaxLevel++;
          return { status: 'rejected', reason: 'above_max_level', quantity: plan.level.quantity };
        }
        this.stats.rejectedInsufficientStock++;
        return { status: 'rejected', reason: 'insufficient_stock', quantity: plan.level.quantity };
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
    return undefined;
  }

  /** Every attempt lost its race: the outcome, and the alert an operator needs. */
  private exhausted(mutation: InventoryMutation): MutationOutcome {
    const { ports } = this;
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
