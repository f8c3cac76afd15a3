/**
 * The embedded default store. Every operation is asynchronous (it yields to the microtask
 * queue, or sleeps on the injected Timers when an operation latency is configured), so
 * concurrent callers interleave exactly as they would against a network store and an
 * optimistic commit can lose a race. A commit stages every write and applies them in one
 * synchronous step: all or nothing.
 */
import type {
  CommitRequest,
  CommitResult,
  DeadLetter,
  Fail,
  IdempotencyRecord,
  InventoryStore,
  InventoryStoreContinuations,
  OutboxEvent,
  StockLevel,
  Timers,
} from './ports.js';
import { MapIdempotencyIndex, type IdempotencyIndex } from './idempotency-index.js';

/** Steps of a commit, in order; a fault hook may throw at any of them (tests, simulator). */
export type CommitStep = 'check' | 'level' | 'idempotency' | 'outbox' | 'apply';

export interface InMemoryInventoryStoreOptions {
  /** Virtual or real time to wait per operation; 0 (default) yields one microtask turn. */
  readonly operationLatencyMs?: number;
  readonly timers?: Timers;
  /** Called before each commit step; throwing aborts the commit with nothing written. */
  readonly faultHook?: (step: CommitStep, request: CommitRequest) => void;
  /** Upper bound on unacknowledged outbox events; exceeding it is a loud error. */
  readonly maxOutboxLength?: number;
  /** Called synchronously inside every successful commit, after its writes (observers, checkers). */
  readonly onCommitted?: (request: CommitRequest, level: StockLevel, nowMs: number) => void;
  /**
   * Where the idempotency records' expiries live (src/engine/idempotency-index.ts); default a
   * Map for any id. The simulator passes a DenseIdempotencyIndex for its numbered ids.
   */
  readonly idempotencyIndex?: IdempotencyIndex;
}

const EMPTY: StockLevel = { quantity: 0, version: 0 };

export class InMemoryInventoryStore implements InventoryStore {
  private readonly levels = new Map<string, StockLevel>();
  /** mutationId -> expiry time (ms). */
  private readonly idempotency: IdempotencyIndex;
  /** What the records written with a payload digest say (the service's; the simulator writes none). */
  private readonly records = new Map<string, IdempotencyRecord>();
  private readonly dropRecord = (id: string): void => {
    this.records.delete(id);
  };
  private outbox: OutboxEvent[] = [];
  private outboxHead = 0;
  private nextSeq = 1;
  private cursor = 0;
  private readonly deadLetters = new Map<string, DeadLetter>();
  private readonly latencyMs: number;
  private readonly timers: Timers | undefined;
  private readonly faultHook: ((step: CommitStep, request: CommitRequest) => void) | undefined;
  private readonly maxOutboxLength: number;
  private readonly onCommitted: ((request: CommitRequest, level: StockLevel, nowMs: number) => void) | undefined;

  constructor(options: InMemoryInventoryStoreOptions = {}) {
    this.latencyMs = options.operationLatencyMs ?? 0;
    if (!(this.latencyMs >= 0) || !Number.isFinite(this.latencyMs)) {
      throw new RangeError(`operationLatencyMs must be a finite number >= 0, got ${String(this.latencyMs)}`);
    }
    if (this.latencyMs > 0 && options.timers === undefined) {
      throw new RangeError('operationLatencyMs > 0 needs timers');
    }
    this.timers = options.timers;
    this.faultHook = options.faultHook;
    this.maxOutboxLength = options.maxOutboxLength ?? 10_000_000;
    this.onCommitted = options.onCommitted;
    this.idempotency = options.idempotencyIndex ?? new MapIdempotencyIndex();
    const after = options.timers?.after;
    if (after !== undefined) this.continuations = this.continuationsOn(after.bind(options.timers));
  }

  /**
   * The hot operations in continuation form, when the timers can run a callback (the simulator's
   * kernel): each answers after the operation latency, as an event of its own, with no promise.
   */
  readonly continuations?: InventoryStoreContinuations;

  private continuationsOn(after: (ms: number, fn: () => void) => void): InventoryStoreContinuations {
    const latencyMs = this.latencyMs;
    const answer = <T>(work: () => T, done: (value: T) => void, fail: Fail): void =>
      after(latencyMs, () => {
        let value: T;
        try {
          value = work();
        } catch (error) {
          fail(error);
          return;
        }
        done(value);
      });
    return {
      read: (sku, done, fail) => answer(() => this.levels.get(sku) ?? EMPTY, done, fail),
      commit: (request, nowMs, done, fail) => answer(() => this.commitNow(request, nowMs), done, fail),
      readOutbox: (afterSeq, limit, done, fail) => answer(() => this.outboxAfter(afterSeq, limit), done, fail),
      ackOutbox: (seq, done, fail) => answer(() => this.ackNow(seq), done, fail),
      outboxCursor: (done, fail) => answer(() => this.cursor, done, fail),
      parkDeadLetter: (letter, done, fail) => answer(() => void this.deadLetters.set(letter.id, letter), done, fail),
    };
  }

  /** Sets a level directly (initial stock load); writes no outbox event. */
  seed(sku: string, quantity: number, version = 1): void {
    if (!Number.isInteger(quantity) || quantity < 0) throw new RangeError(`quantity must be an integer >= 0, got ${quantity}`);
    this.levels.set(sku, { quantity, version });
  }

  /** Synchronous read for observers (invariant checkers); not part of the port. */
  peek(sku: string): StockLevel {
    return this.levels.get(sku) ?? EMPTY;
  }

  /** Synchronous DLQ look-ups for observers; not part of the port. */
  hasDeadLetter(id: string): boolean {
    return this.deadLetters.has(id);
  }

  get deadLetterCount(): number {
    return this.deadLetters.size;
  }

  get outboxLength(): number {
    return this.outbox.length - this.outboxHead;
  }

  get idempotencyRecords(): number {
    return this.idempotency.size;
  }

  async read(sku: string): Promise<StockLevel> {
    await this.tick();
    return this.levels.get(sku) ?? EMPTY;
  }

  async hasProcessed(mutationId: string, nowMs: number): Promise<boolean> {
    await this.tick();
    return this.isRecorded(mutationId, nowMs);
  }

  async recordOf(mutationId: string, nowMs: number): Promise<IdempotencyRecord | undefined> {
    await this.tick();
    if (!this.isRecorded(mutationId, nowMs)) return undefined;
    return this.records.get(mutationId) ?? { applied: undefined, payloadDigest: undefined, origin: undefined };
  }

  async commit(request: CommitRequest, nowMs: number): Promise<CommitResult> {
    await this.tick();
    return this.commitNow(request, nowMs);
  }

  async readOutbox(afterSeq: number, limit: number): Promise<readonly OutboxEvent[]> {
    await this.tick();
    return this.outboxAfter(afterSeq, limit);
  }

  private outboxAfter(afterSeq: number, limit: number): readonly OutboxEvent[] {
    // Seqs increase along the array: binary-search the first one after `afterSeq`.
    let lo = this.outboxHead;
    let hi = this.outbox.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.outbox[mid]!.seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return this.outbox.slice(lo, Math.min(this.outbox.length, lo + limit));
  }

  async ackOutbox(seq: number): Promise<void> {
    await this.tick();
    this.ackNow(seq);
  }

  private ackNow(seq: number): void {
    if (seq <= this.cursor) return;
    this.cursor = seq;
    while (this.outboxHead < this.outbox.length && this.outbox[this.outboxHead]!.seq <= seq) this.outboxHead++;
    if (this.outboxHead > 1024 && this.outboxHead * 2 > this.outbox.length) {
      this.outbox = this.outbox.slice(this.outboxHead);
      this.outboxHead = 0;
    }
  }

  async outboxCursor(): Promise<number> {
    await this.tick();
    return this.cursor;
  }

  async parkDeadLetter(letter: DeadLetter): Promise<void> {
    await this.tick();
    this.deadLetters.set(letter.id, letter);
  }

  async listDeadLetters(): Promise<readonly DeadLetter[]> {
    await this.tick();
    return [...this.deadLetters.values()];
  }

  async removeDeadLetter(id: string): Promise<boolean> {
    await this.tick();
    return this.deadLetters.delete(id);
  }

  async skus(): Promise<readonly string[]> {
    await this.tick();
    return [...this.levels.keys()];
  }

  private commitNow(request: CommitRequest, nowMs: number): CommitResult {
    const hook = this.faultHook;
    hook?.('check', request);
    this.purgeExpired(nowMs);
    if (this.isRecorded(request.mutationId, nowMs)) {
      const recorded = this.records.get(request.mutationId);
      return recorded === undefined ? { ok: false, reason: 'duplicate' } : { ok: false, reason: 'duplicate', recorded };
    }
    const current = this.levels.get(request.sku) ?? EMPTY;
    if (current.version !== request.expectedVersion) return { ok: false, reason: 'version_conflict' };
    if (!Number.isInteger(request.quantity) || request.quantity < 0) {
      throw new RangeError(`commit would set ${request.sku} to ${request.quantity}; a level is an integer >= 0`);
    }
    // Stage every write, then apply them together: a fault at any step leaves nothing behind.
    const applies = request.effect === 'apply';
    hook?.('level', request);
    const level: StockLevel = applies ? { quantity: request.quantity, version: current.version + 1 } : current;
    hook?.('idempotency', request);
    const expiresAtMs = nowMs + request.idempotencyTtlMs;
    hook?.('outbox', request);
    if (applies && this.outboxLength >= this.maxOutboxLength) {
      throw new Error(`outbox limit reached: ${this.maxOutboxLength} unacknowledged events (is a dispatcher draining it?)`);
    }
    const event: OutboxEvent | undefined = applies
      ? {
          seq: this.nextSeq,
          sku: request.sku,
          quantity: level.quantity,
          version: level.version,
          mutationId: request.mutationId,
          sourceChannel: request.outbox.sourceChannel,
          committedAtMs: request.outbox.committedAtMs,
        }
      : undefined;
    hook?.('apply', request);
    if (event !== undefined) {
      this.levels.set(request.sku, level);
      this.outbox.push(event);
      this.nextSeq++;
    }
    this.idempotency.set(request.mutationId, expiresAtMs);
    if (request.payloadDigest !== undefined) this.records.set(request.mutationId, { applied: applies, payloadDigest: request.payloadDigest, origin: request.origin });
    else if (this.records.size > 0) this.records.delete(request.mutationId);
    this.onCommitted?.(request, level, nowMs);
    return { ok: true, level, outboxSeq: event?.seq ?? 0 };
  }

  private isRecorded(mutationId: string, nowMs: number): boolean {
    const expiresAtMs = this.idempotency.expiryOf(mutationId);
    return expiresAtMs !== undefined && expiresAtMs > nowMs;
  }

  /** Drops expired idempotency records (and what was recorded beside them). */
  private purgeExpired(nowMs: number): void {
    this.idempotency.purge(nowMs, this.records.size > 0 ? this.dropRecord : undefined);
  }

  private tick(): Promise<void> {
    if (this.latencyMs > 0) return this.timers!.sleep(this.latencyMs);
    return Promise.resolve();
  }
}
