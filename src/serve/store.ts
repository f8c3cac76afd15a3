/**
 * Where the service keeps its source of truth. The service never constructs a store itself: it
 * asks a `StoreFactory` for a fresh one at start and on `POST /reset`, so a Redis or PostgreSQL
 * adapter plugs in by supplying a factory (and a `--store` URL scheme in `resolveStoreFactory`).
 * Today only the embedded in-memory store exists.
 */
import { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { Clock, InventoryStore, Timers } from '../engine/ports.js';
import type { Scenario } from '../scenarios/schema.js';

export interface StoreContext {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly scenario: Scenario;
}

export interface StoreFactory {
  /** Shown in /audit and logs, e.g. `memory` or `redis://host:6379/0` (without credentials). */
  readonly name: string;
  /** A store for a new generation: empty, or (for a persistent store) cleared by the factory. */
  create(context: StoreContext): InventoryStore | Promise<InventoryStore>;
  /** Releases what `create` opened (connections); called when a generation ends. */
  dispose?(store: InventoryStore): void | Promise<void>;
}

/** The embedded store, with the scenario's `engine.storeLatencyMs` as real per-operation latency. */
export const memoryStoreFactory: StoreFactory = {
  name: 'memory',
  create: ({ timers, scenario }) => new InMemoryInventoryStore({ operationLatencyMs: scenario.engine.storeLatencyMs, timers }),
};

export class UnsupportedStoreError extends Error {
  override readonly name = 'UnsupportedStoreError';
}

/**
 * The factory for a `--store` value. The hook for the Redis and PostgreSQL adapters: add their
 * URL schemes here.
 */
export function resolveStoreFactory(spec: string): StoreFactory {
  if (spec === 'memory') return memoryStoreFactory;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(spec)?.[1];
  const what = scheme === undefined ? `"${spec}"` : `${scheme}:// stores`;
  throw new UnsupportedStoreError(`--store: ${what} not supported yet; the only store today is "memory"`);
}
