/**
 * Pitfall variants: each mistake of the seed article's Pitfall Guide, plus its
 * broadcast-before-persist ordering, rebuilt on purpose so its cost can be measured. They
 * live here and never in the engine. Each wraps or replaces one real part; the invariant
 * checkers then show what it breaks.
 */
import { DEFAULT_IDEMPOTENCY_TTL_MS } from '../engine/defaults.js';
import type { PropagationDispatcher } from '../engine/dispatcher.js';
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import type { InventoryStore } from '../engine/ports.js';
import type { Kernel } from './kernel.js';

/**
 * Idempotency neglect: the store never recognises a redelivered mutation. `nextAttempt` numbers
 * the commits of the whole run, across processor restarts: a counter that restarted with the
 * processor would give a redelivery an id already recorded, and the store would refuse it.
 */
export function withoutIdempotency(store: InventoryStore, nextAttempt: () => number): InventoryStore {
  return forwardStore(store, {
    hasProcessed: () => Promise.resolve(false),
    commit: (request, nowMs) => store.commit({ ...request, mutationId: `${request.mutationId}#${nextAttempt()}` }, nowMs),
  });
}

/** No optimistic locking: the commit checks the version it finds, not the one it read. */
export function withoutLocking(store: InventoryStore, currentVersion: (sku: string) => number): InventoryStore {
  return forwardStore(store, {
    commit: async (request, nowMs) => {
      const read = await store.read(request.sku);
      return store.commit({ ...request, expectedVersion: Math.max(read.version, currentVersion(request.sku)) }, nowMs);
    },
  });
}

/** Silent DLQ drops: a parked update is thrown away instead of stored. */
export function withSilentDlq(store: InventoryStore): InventoryStore {
  return forwardStore(store, { parkDeadLetter: () => Promise.resolve() });
}

/** Pessimistic locking: one holder per SKU, with a lock round trip on each side. */
export class PessimisticLocks {
  private readonly tails = new Map<string, Promise<void>>();
  constructor(
    private readonly kernel: Kernel,
    private readonly lockRoundTripMs: number,
  ) {}

  async around<T>(sku: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(sku) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(sku, tail);
    await previous;
    try {
      await this.kernel.sleep(this.lockRoundTripMs); // SELECT … FOR UPDATE
      return await work();
    } finally {
      await this.kernel.sleep(this.lockRoundTripMs); // COMMIT releases the row lock
      release();
      if (this.tails.get(sku) === tail) this.tails.delete(sku);
    }
  }
}

export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
}

/**
 * The seed's handler order: check an in-process idempotency set, read, broadcast the new level
 * to every channel, mark the mutation processed, and only then persist with a version check.
 * A lost race throws after the broadcast and after the mark: channels show a level the source
 * of truth never had, and the redelivery is then skipped as a duplicate.
 */
export class BroadcastBeforePersistProcessor {
  private readonly seen = new Set<string>();
  constructor(
    private readonly store: InventoryStore,
    private readonly dispatcher: () => PropagationDispatcher,
    private readonly channelIds: readonly string[],
    private readonly kernel: Kernel,
  ) {}

  async handle(m: InventoryMutation): Promise<MutationOutcome> {
    if (this.seen.has(m.mutationId)) return { status: 'duplicate' };
    const level = await this.store.read(m.sku);
    const next = level.quantity + m.quantityDelta;
    if (next < 0) return { status: 'rejected', reason: 'insufficient_stock', quantity: level.quantity };
    const now = this.kernel.nowMs();
    for (const id of this.channelIds) this.dispatcher().submit(id, { sku: m.sku, quantity: next, version: level.version + 1 }, now);
    this.seen.add(m.mutationId);
    const result = await this.store.commit(
      {
        effect: 'apply',
        sku: m.sku,
        expectedVersion: level.version,
        quantity: next,
        mutationId: `${m.mutationId}#bbp`,
        idempotencyTtlMs: DEFAULT_IDEMPOTENCY_TTL_MS,
        outbox: { sourceChannel: m.sourceChannel, committedAtMs: now },
      },
      now,
    );
    if (!result.ok) throw new ConcurrencyError(`Failed to lock SKU: ${m.sku}`);
    return { status: 'applied', quantity: result.level.quantity, version: result.level.version, attempts: 1 };
  }
}

/** A store that forwards every call to `store`, except those given in `overrides`. */
export function forwardStore(store: InventoryStore, overrides: Partial<InventoryStore> = {}): InventoryStore {
  return {
    read: (sku) => store.read(sku),
    hasProcessed: (id, now) => store.hasProcessed(id, now),
    commit: (request, now) => store.commit(request, now),
    readOutbox: (after, limit) => store.readOutbox(after, limit),
    ackOutbox: (seq) => store.ackOutbox(seq),
    outboxCursor: () => store.outboxCursor(),
    parkDeadLetter: (letter) => store.parkDeadLetter(letter),
    listDeadLetters: () => store.listDeadLetters(),
    removeDeadLetter: (id) => store.removeDeadLetter(id),
    skus: () => store.skus(),
    ...overrides,
  };
}
