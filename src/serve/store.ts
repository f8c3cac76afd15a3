/**
 * Where the service keeps its source of truth. The service never constructs a store itself: it
 * asks a `StoreFactory` for the store of each generation (at start and after `POST /reset`).
 *
 * - `memory`: a fresh embedded store per generation, with the scenario's `engine.storeLatencyMs`
 *   as real per-operation latency. Nothing outlives the process.
 * - `redis://…`, `postgres://…`: one store opened once, at start, by `openStoreFactory`, so a bad
 *   connection string or an unreachable server fails the start with a clear message instead of
 *   the first request. Several service instances (processes) started on the same URL share it:
 *   levels, idempotency records, the outbox and the dead-letter queue. Each generation sees it
 *   through `claimingOutbox` under a consumer name unique to the instance, so the instances'
 *   dispatchers share the outbox (each entry claimed by one of them, taken over from a dead
 *   one after `claimIdleMs`). Starting an instance never clears the store; `POST /reset` does,
 *   for every instance sharing it.
 */
import { forwardStore } from '../engine/forward-store.js';
import { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { Clock, InventoryStore, Timers } from '../engine/ports.js';
import type { Scenario } from '../scenarios/schema.js';
import { claimingOutbox } from '../stores/claiming-view.js';
import { hasSharedOutbox, openStore, type AnyStore } from '../stores/open.js';
import type { SharedOutbox, SharedOutboxStore } from '../stores/types.js';
import { parseStoreUrl } from '../stores/url.js';

export interface StoreContext {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly scenario: Scenario;
  /** This service instance's name, unique among the instances sharing a store. */
  readonly instanceId: string;
  /** 1 at start, +1 on every reset. */
  readonly generation: number;
}

export interface StoreFactory {
  /** Shown in /audit and logs, e.g. `memory` or `redis://host:6379/0` (without credentials). */
  readonly name: string;
  /**
   * Whether other service instances may share the store (Redis, PostgreSQL): the service then
   * claims outbox entries instead of reading a cursor, reconciles its channel models with the
   * store, and leaves the end-to-end level check to the sum of the instances' audits.
   */
  readonly shared: boolean;
  /** Shared store: a claimed outbox entry left unacknowledged this long is taken over by another instance. */
  readonly claimIdleMs?: number;
  /** The store of a new generation: for memory a fresh one; for a shared store a view on it. */
  create(context: StoreContext): InventoryStore | Promise<InventoryStore>;
  /** Empties a shared store for every instance (`POST /reset`); memory needs none. */
  clear?(): Promise<void>;
  /** Releases what `create` opened; called when a generation ends. */
  dispose?(store: InventoryStore): void | Promise<void>;
  /** Releases the connections opened with the factory; called when the service closes. */
  close?(): Promise<void>;
  /** Readiness: resolves when the store answers within its call deadline, rejects with why not. */
  ping?(): Promise<void>;
}

/** The embedded store, with the scenario's `engine.storeLatencyMs` as real per-operation latency. */
export const memoryStoreFactory: StoreFactory = {
  name: 'memory',
  shared: false,
  create: ({ timers, scenario }) => new InMemoryInventoryStore({ operationLatencyMs: scenario.engine.storeLatencyMs, timers }),
};

export class UnsupportedStoreError extends Error {
  override readonly name = 'UnsupportedStoreError';
}

export interface OpenStoreFactoryOptions {
  /** A claimed outbox entry left unacknowledged this long is taken over by another instance (default 15 000). */
  readonly claimIdleMs?: number;
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_CLAIM_IDLE_MS = 15_000;

/**
 * The factory for a `--store` value (`memory`, `redis://…`, `postgres://…`). A network store is
 * opened here, once: a bad string throws StoreUrlError (a RangeError), a server that cannot be
 * reached or is not ready (PostgreSQL schema not migrated) throws StoreUnavailableError.
 */
export async function openStoreFactory(spec: string, options: OpenStoreFactoryOptions = {}): Promise<StoreFactory> {
  const location = parseStoreUrl(spec);
  if (location.kind === 'memory') return memoryStoreFactory;
  const claimIdleMs = options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS;
  if (!(claimIdleMs > 0) || !Number.isFinite(claimIdleMs)) throw new RangeError(`claimIdleMs must be a finite number > 0, got ${claimIdleMs}`);
  const store = await openStore(spec, options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs });
  try {
    return sharedStoreFactory(store, location.display, claimIdleMs);
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** A factory over one opened network store (exported for tests that open the store themselves). */
export function sharedStoreFactory(store: AnyStore, name: string, claimIdleMs: number = DEFAULT_CLAIM_IDLE_MS): StoreFactory {
  if (!hasSharedOutbox(store) || store.clear === undefined) throw new UnsupportedStoreError(`the ${store.kind} store cannot be shared by several instances`);
  const shared = store;
  const clear = store.clear.bind(store);
  let closed: Promise<void> | undefined;
  return {
    name,
    shared: true,
    claimIdleMs,
    create: ({ instanceId, generation }) =>
      claimingOutbox(renewingAtMostEvery(shared, claimIdleMs / 3), { consumer: `${instanceId}#${generation}`, minIdleMs: claimIdleMs }),
    clear,
    close: () => (closed ??= shared.close()),
    ping: async () => {
      if ('ping' in store) await store.ping();
    },
  };
}

/**
 * The store as the claiming view sees it, with claim renewals limited to one every `everyMs`.
 * The view renews every claim it holds on each outbox read (a heartbeat), and what it holds
 * grows with the slowest delivery in flight (it acknowledges a prefix): at a few thousand
 * commits a second that is thousands of entries, renewed tens of times a second, each renewal
 * a server-side loop over all of them. Claims only need renewing well within the idle time
 * after which another instance takes them over, so once every third of it is enough (the
 * service pumps at least that often); the reads in between skip it.
 */
function renewingAtMostEvery(store: SharedOutboxStore, everyMs: number): InventoryStore & SharedOutbox {
  let lastMs = Number.NEGATIVE_INFINITY;
  return {
    ...forwardStore(store),
    // forwardStore forwards the port; the shared outbox's methods are forwarded here (recordOf,
    // optional on the port, is required by the outbox).
    recordOf: (id, nowMs) => store.recordOf(id, nowMs),
    claimOutbox: (consumer, limit, minIdleMs) => store.claimOutbox(consumer, limit, minIdleMs),
    ackOutboxEntries: (seqs) => store.ackOutboxEntries(seqs),
    renewOutboxClaims: (consumer, seqs) => {
      const now = performance.now();
      if (now - lastMs < everyMs) return Promise.resolve(0);
      lastMs = now;
      return store.renewOutboxClaims(consumer, seqs);
    },
  };
}
