/**
 * openStore: the one entry point that turns a connection string into a ready store, for
 * `invsim serve --store …` / `INVSIM_STORE`. It connects and checks the server before it
 * returns, so a bad string or an unreachable server fails at start with a clear message:
 *   StoreUrlError (a RangeError):   bad connection string 'mysql://…': expected memory, redis://… or postgres://…
 *   StoreUnavailableError:          cannot reach redis at 127.0.0.1:6390: ECONNREFUSED
 * Several processes may open the same Redis namespace or PostgreSQL schema: that is how
 * several service instances share one store (their dispatchers then use `claimingOutbox`).
 */
import type { CommitStep } from '../engine/memory-store.js';
import { MemoryStore } from './memory.js';
import { PostgresInventoryStore } from './postgres.js';
import { RedisInventoryStore } from './redis.js';
import type { OpenedStore, SharedOutbox } from './types.js';
import { parseStoreUrl } from './url.js';

export interface OpenStoreOptions {
  readonly connectTimeoutMs?: number;
  /** PostgreSQL: apply pending migrations instead of refusing to start (development, tests). */
  readonly migrate?: boolean;
  /** Tests: commits fail inside the server at this step (Redis and PostgreSQL). */
  readonly failAt?: CommitStep;
}

export type AnyStore = MemoryStore | RedisInventoryStore | PostgresInventoryStore;

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<AnyStore> {
  const location = parseStoreUrl(url);
  const common = {
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.failAt === undefined ? {} : { failAt: options.failAt }),
  };
  switch (location.kind) {
    case 'memory':
      return new MemoryStore();
    case 'redis':
      return RedisInventoryStore.open({ url: location.url, namespace: location.namespace, callTimeoutMs: location.callTimeoutMs, ...common });
    case 'postgres':
      return PostgresInventoryStore.open({
        url: location.url,
        schema: location.schema,
        poolSize: location.poolSize,
        callTimeoutMs: location.callTimeoutMs,
        ...common,
        ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
      });
  }
}

/** Whether a store offers the shared outbox (several dispatcher processes). */
export function hasSharedOutbox(store: OpenedStore): store is OpenedStore & SharedOutbox {
  return 'claimOutbox' in store && 'ackOutboxEntries' in store && 'renewOutboxClaims' in store;
}
