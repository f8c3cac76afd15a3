/**
 * Pitfall variants: each mistake of the seed article's Pitfall Guide, plus its
 * broadcast-before-persist ordering, rebuilt on purpose so its cost can be measured. They
 * live here and never in the engine. Each wraps or replaces one real part; the invariant
 * checkers then show what it breaks.
 */
import type { PropagationDispatcher } from '../engine/dispatcher.js';
import type { InventoryMutation, MutationOutcome } from '../engine/mutation.js';
import { forwardStore } from '../engine/forward-store.js';
import { listedQuantity, type ListingPolicy } from '../engine/listing-policy.js';
import type { InventoryStore } from '../engine/ports.js';
import type { SimChannel } from '../model/channel.js';
import type { Pitfall } from '../scenarios/schema.js';
import type { KeySpace } from './keys.js';
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
    private readonly idempotencyTtlMs: number,
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
        idempotencyTtlMs: this.idempotencyTtlMs,
        outbox: { sourceChannel: m.sourceChannel, committedAtMs: now },
      },
      now,
    );
    if (!result.ok) throw new ConcurrencyError(`Failed to lock SKU: ${m.sku}`);
    return { status: 'applied', quantity: result.level.quantity, version: result.level.version, attempts: 1 };
  }
}

/** How a worker handles one mutation (the real processor's `handle`, or a pitfall's). */
export type MutationHandler = (m: InventoryMutation) => Promise<MutationOutcome>;

/** What the run hands a pitfall to build its variant from. */
export interface PitfallContext {
  readonly kernel: Kernel;
  readonly storeLatencyMs: number;
  readonly idempotencyTtlMs: number;
  /** The store every part shares (the dispatcher's and the reconciler's view). */
  readonly store: InventoryStore;
  readonly keys: KeySpace;
  readonly channels: readonly SimChannel[];
  readonly dispatchPolicy: ListingPolicy;
  readonly dispatcher: () => PropagationDispatcher;
  /** Numbers the no-idempotency variant's commits across the whole run. */
  readonly nextUnkeyedAttempt: () => number;
  /** The source of truth's version of a key, as of the last commit. */
  readonly sourceVersion: (key: string) => number;
}

/**
 * Where a pitfall changes the run. Each hook replaces or wraps one real part; a pitfall with
 * none would be a label, so the registry below is typed to hold an entry for every pitfall.
 */
export interface PitfallBehaviour {
  /** Wraps the store the processor workers commit through. */
  processorStore?(store: InventoryStore): InventoryStore;
  /** Wraps every mutation a worker handles (locks held around it); one per worker generation. */
  aroundHandler?(): <T>(sku: string, work: () => Promise<T>) => Promise<T>;
  /** Replaces the real processors: the handlers of one worker generation. */
  processors?(generation: { store: InventoryStore; count: number; onCommitted: () => void }): MutationHandler[];
  /** Wraps the store the dispatcher parks dead letters in. */
  dispatcherStore?(store: InventoryStore): InventoryStore;
  /** Replaces the hybrid strategy's reconciliation pass. */
  reconcile?(): Promise<void>;
  /** Replaces the polling strategy's full sync. */
  fullSync?(): Promise<void>;
}

const PITFALL_BEHAVIOURS: { readonly [P in Pitfall]: (ctx: PitfallContext) => PitfallBehaviour } = {
  'no-idempotency': (ctx) => ({ processorStore: (store) => withoutIdempotency(store, ctx.nextUnkeyedAttempt) }),
  'no-locking': (ctx) => ({ processorStore: (store) => withoutLocking(store, ctx.sourceVersion) }),
  'silent-dlq-drop': () => ({ dispatcherStore: (store) => withSilentDlq(store) }),
  'pessimistic-locking': (ctx) => ({
    aroundHandler: () => {
      const locks = new PessimisticLocks(ctx.kernel, 2 * ctx.storeLatencyMs);
      return (sku, work) => locks.around(sku, work);
    },
  }),
  'broadcast-before-persist': (ctx) => ({
    processors: ({ store, count, onCommitted }) =>
      Array.from({ length: count }, () => {
        const p = new BroadcastBeforePersistProcessor(store, ctx.dispatcher, ctx.channels.map((c) => c.id), ctx.kernel, ctx.idempotencyTtlMs);
        return async (m: InventoryMutation) => {
          const outcome = await p.handle(m);
          if (outcome.status === 'applied') onCommitted();
          return outcome;
        };
      }),
  }),
  'overwriting-reconciliation': (ctx) => ({ reconcile: () => overwritingReconcile(ctx) }),
  'fast-polling': (ctx) => ({ fullSync: () => fastPollingSync(ctx) }),
};

/** The behaviour of `pitfall` in this run; none for the real engine. */
export function pitfallBehaviour(pitfall: Pitfall | undefined, ctx: PitfallContext): PitfallBehaviour {
  return pitfall === undefined ? {} : PITFALL_BEHAVIOURS[pitfall](ctx);
}

/** The pitfall: read every level, then write each one back to every channel, newer or not. */
async function overwritingReconcile(ctx: PitfallContext): Promise<void> {
  const levels = await Promise.all(ctx.keys.keyNames.map((key) => ctx.store.read(key)));
  await ctx.kernel.sleep(2_000); // a slow audit: the levels it read age while it works
  await pushEveryLevel(ctx, levels);
}

/**
 * The Fast Polling trap: a sync job that runs more often to cut lag, and pushes every level it
 * read straight to every channel, bypassing the dispatcher: no lane per listing (a tick's push
 * and the next tick's race, and an older level can land last), no backoff or Retry-After on a
 * 429 (the push is simply lost until the next tick), no dead-letter queue. It spends the API
 * budget on unchanged listings and still cannot order its writes.
 */
async function fastPollingSync(ctx: PitfallContext): Promise<void> {
  const keyNames = ctx.keys.keyNames;
  const levels = await Promise.all(keyNames.map((key) => ctx.store.read(key)));
  // One listing after another, as a sync loop does: a tick that takes longer than the interval
  // overlaps the next one, and their pushes to the same listing race.
  for (let k = 0; k < levels.length; k++) {
    const level = levels[k]!;
    const only = ctx.keys.keyChannel[k]!;
    for (const channel of ctx.channels) {
      if (only >= 0 && only !== channel.index) continue;
      try {
        // A throttled or failed push is not retried: the next tick will do.
        await channel.pushListing({ sku: keyNames[k]!, quantity: listedQuantity(level.quantity, channel.id, ctx.dispatchPolicy), version: level.version });
      } catch {
        // An outage: the job logs it and moves on.
      }
    }
  }
}

async function pushEveryLevel(ctx: PitfallContext, levels: readonly { quantity: number; version: number }[]): Promise<void> {
  const keyNames = ctx.keys.keyNames;
  await Promise.all(
    levels.map(async (level, k) => {
      const key = keyNames[k]!;
      const only = ctx.keys.keyChannel[k]!;
      for (const channel of ctx.channels) {
        if (only >= 0 && only !== channel.index) continue;
        await channel.pushListing({ sku: key, quantity: listedQuantity(level.quantity, channel.id, ctx.dispatchPolicy), version: level.version });
      }
    }),
  );
}
