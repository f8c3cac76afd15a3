/**
 * The engine's ports. Everything that touches time, randomness or I/O is one of these
 * interfaces, injected at construction. Production code gets the system adapters
 * (src/adapters/system.ts); the simulator supplies virtual ones (src/sim).
 */

/** Milliseconds since an arbitrary epoch. Monotone non-decreasing. */
export interface Clock {
  nowMs(): number;
}

/** Waits. The only way engine code lets time pass. */
export interface Timers {
  sleep(ms: number): Promise<void>;
  /**
   * Runs `fn` after `ms`: the wait in continuation form, creating no promise. Optional; the
   * simulator's kernel has it, and the engine's continuation paths (see `continuations` on the
   * store and channel ports) need it.
   */
  after?(ms: number, fn: () => void): void;
}

/** Where a continuation-form operation reports its failure instead of rejecting a promise. */
export type Fail = (error: unknown) => void;

/** A uniform draw in [0, 1). */
export interface Random {
  next(): number;
}

export type AlertSeverity = 'warning' | 'critical';

export interface Alert {
  /** `store_write_failed`: a write the dispatcher makes on its own (a dead letter, an outbox acknowledgement) failed after its retries. */
  readonly kind: 'dlq_parked' | 'latency_threshold' | 'reconciliation_drift' | 'conflict_retries_exhausted' | 'store_write_failed';
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly atMs: number;
  readonly detail: Readonly<Record<string, string | number>>;
}

export interface AlertSink {
  raise(alert: Alert): void;
}

/** A stock level at the source of truth. `version` grows by one on every commit. */
export interface StockLevel {
  readonly quantity: number;
  readonly version: number;
}

/** The event the processor writes to the outbox in the same commit as the level. */
export interface OutboxEvent {
  /** Position in the outbox; strictly increasing per store. */
  readonly seq: number;
  readonly sku: string;
  readonly quantity: number;
  readonly version: number;
  readonly mutationId: string;
  readonly sourceChannel: string;
  /** Clock time of the commit; propagation latency is measured from here. */
  readonly committedAtMs: number;
}

export interface CommitRequest {
  /**
   * `apply` writes the new level, the idempotency record and an outbox event; `reject`
   * records only the idempotency key (so a redelivered rejected order stays rejected), and
   * is version-checked too, so the decision rests on a level that was current.
   */
  readonly effect: 'apply' | 'reject';
  readonly sku: string;
  /** The version read; the commit succeeds only if it is still current. */
  readonly expectedVersion: number;
  readonly quantity: number;
  readonly mutationId: string;
  readonly idempotencyTtlMs: number;
  readonly outbox: Omit<OutboxEvent, 'seq' | 'version' | 'quantity' | 'sku' | 'mutationId'>;
  /**
   * What the mutation asks for (its SKU and delta), digested: recorded with the idempotency key,
   * so a key reused for a different payload is told apart from a redelivery. Optional: the
   * simulator's dense ids never collide and leave it out.
   */
  readonly payloadDigest?: string;
  /**
   * Which delivery wrote the record (with a digest only): a caller whose commit answer was lost
   * tells its own commit from another delivery's, e.g. a redelivery to another instance.
   */
  readonly origin?: string;
}

/** What an unexpired idempotency record says about the mutation it was written for. */
export interface IdempotencyRecord {
  /** Applied (a level, an outbox event) or recorded as rejected; undefined when written without a digest. */
  readonly applied: boolean | undefined;
  readonly payloadDigest: string | undefined;
  readonly origin: string | undefined;
}

export type CommitResult =
  | { readonly ok: true; readonly level: StockLevel; readonly outboxSeq: number }
  | { readonly ok: false; readonly reason: 'version_conflict' }
  /** The key is recorded; `recorded` is what its record says, when the store keeps it. */
  | { readonly ok: false; readonly reason: 'duplicate'; readonly recorded?: IdempotencyRecord };

/** A parked propagation: the dispatcher gave up after its last retry. */
export interface DeadLetter {
  readonly id: string;
  readonly sku: string;
  readonly channel: string;
  readonly quantity: number;
  readonly version: number;
  readonly committedAtMs: number;
  readonly attempts: number;
  readonly lastError: string;
  readonly parkedAtMs: number;
}

/**
 * The source of truth. Every operation is asynchronous, so concurrent callers interleave
 * and an optimistic commit can really lose a race.
 */
export interface InventoryStore {
  read(sku: string): Promise<StockLevel>;
  /** Whether `mutationId` has an unexpired idempotency record. */
  hasProcessed(mutationId: string, nowMs: number): Promise<boolean>;
  /**
   * The unexpired idempotency record of `mutationId`, if any: how a caller whose commit answer
   * was lost (a store failure) learns what happened. Optional; the network stores have it.
   */
  recordOf?(mutationId: string, nowMs: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Atomically: check the version, check the idempotency key, write the new level, the
   * idempotency record (expiring after `idempotencyTtlMs`) and one outbox event. All or nothing.
   */
  commit(request: CommitRequest, nowMs: number): Promise<CommitResult>;
  /** Outbox events with `seq > afterSeq`, oldest first, at most `limit`. */
  readOutbox(afterSeq: number, limit: number): Promise<readonly OutboxEvent[]>;
  /**
   * Marks outbox events up to and including `seq` as handed to the dispatcher. Monotone: a `seq`
   * at or below the cursor changes nothing (a retried acknowledgement may arrive late).
   */
  ackOutbox(seq: number): Promise<void>;
  /** The highest acknowledged outbox seq (0 if none). */
  outboxCursor(): Promise<number>;
  parkDeadLetter(letter: DeadLetter): Promise<void>;
  listDeadLetters(): Promise<readonly DeadLetter[]>;
  removeDeadLetter(id: string): Promise<boolean>;
  /** Every SKU with a level, for audits. */
  skus(): Promise<readonly string[]>;
  /**
   * The hot operations in continuation form, where the store can answer without a promise (the
   * embedded store on the simulator's kernel). Optional: the engine uses them when present and
   * the promise methods otherwise, with the same decisions either way. A wrapper
   * (`forwardStore`) drops them unless it supplies its own, so nothing can bypass it.
   */
  readonly continuations?: InventoryStoreContinuations;
}

/**
 * An InventoryStore's operations in continuation form: each calls `done` with what the promise
 * method of the same name resolves with, or `fail` with what it rejects with, exactly once and
 * never before the call returns (the store's latency, or the next event, passes first).
 */
export interface InventoryStoreContinuations {
  read(sku: string, done: (level: StockLevel) => void, fail: Fail): void;
  commit(request: CommitRequest, nowMs: number, done: (result: CommitResult) => void, fail: Fail): void;
  readOutbox(afterSeq: number, limit: number, done: (events: readonly OutboxEvent[]) => void, fail: Fail): void;
  ackOutbox(seq: number, done: () => void, fail: Fail): void;
  outboxCursor(done: (seq: number) => void, fail: Fail): void;
  parkDeadLetter(letter: DeadLetter, done: () => void, fail: Fail): void;
}

/** What a channel holds for one SKU, as far as the channel tells us. */
export interface ChannelListing {
  readonly quantity: number;
  /** The source-of-truth version this listing reflects; -1 if never set by us. */
  readonly version: number;
}

export interface ChannelUpdate {
  readonly sku: string;
  readonly quantity: number;
  readonly version: number;
  /**
   * Compare-and-set channels (Shopify's `compareQuantity`): the quantity the channel must still
   * show for the update to apply; a channel that shows another (units sold there since) refuses
   * it with `conflict`. Absent: set unconditionally.
   */
  readonly compareQuantity?: number;
}

export type ChannelResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** `conflict`: a compare-and-set refused (the channel no longer shows `compareQuantity`). */
      readonly error: 'throttled' | 'server_error' | 'timeout' | 'unavailable' | 'rejected' | 'conflict';
      /** From a Retry-After header, when the channel sent one. */
      readonly retryAfterMs?: number;
      readonly message?: string;
    };

/** A sales channel's API as the engine sees it. */
export interface ChannelClient {
  readonly id: string;
  pushListing(update: ChannelUpdate): Promise<ChannelResult>;
  readListing(sku: string): Promise<ChannelListing | undefined>;
  /** Channels with a bulk or feed API take several SKUs per request, all or nothing. */
  readonly batch?:
    | {
        readonly maxItems: number;
        push(updates: readonly ChannelUpdate[]): Promise<ChannelResult>;
      }
    | undefined;
  /** Requests the dispatcher keeps in flight to this channel at once (default DEFAULT_CHANNEL_CONCURRENCY, src/engine/defaults.ts). */
  readonly maxConcurrency?: number;
  /** The channel sets quantities by compare-and-set: the dispatcher sends `compareQuantity`. */
  readonly compareAndSet?: boolean;
  /**
   * The channel's calls in continuation form, creating no promise (the simulator's channels).
   * Optional, with the same answers as `pushListing`/`batch.push` and `readListing`.
   */
  readonly continuations?: ChannelClientContinuations;
}

export interface ChannelClientContinuations {
  /** One request: `batch.push` when the channel has a batch API, else `pushListing` of the one update. Never throws: failures are results. */
  push(updates: readonly ChannelUpdate[], done: (result: ChannelResult) => void): void;
  readListing(sku: string, done: (listing: ChannelListing | undefined) => void, fail: Fail): void;
}
