/**
 * What every store adapter offers beyond the engine's `InventoryStore` port: initial stock,
 * an orderly close, and (network stores) an outbox that several dispatchers share.
 */
import type { IdempotencyRecord, InventoryStore, OutboxEvent } from '../engine/ports.js';

export type StoreKind = 'memory' | 'redis' | 'postgres';

/** A store opened by `openStore`: ready to use, closed by its owner. */
export interface OpenedStore extends InventoryStore {
  readonly kind: StoreKind;
  /** Sets a level directly (initial stock load); writes no outbox event. Default version 1. */
  seed(sku: string, quantity: number, version?: number): void | Promise<void>;
  /**
   * Empties a persistent store for every process sharing it (a service's reset). The memory
   * store has none: a fresh one is empty.
   */
  clear?(): Promise<void>;
  /** Releases connections; the store must not be used afterwards. Idempotent. */
  close(): Promise<void>;
}

/**
 * The outbox path for several dispatcher instances (processes) on one store. Instead of one
 * cursor (`readOutbox`/`ackOutbox`, one dispatcher), each entry is claimed by one consumer,
 * acknowledged after delivery, and claimed again by another consumer when it stays
 * unacknowledged for `minIdleMs` (its consumer died). Delivery is at least once per entry;
 * a redelivered version is harmless because channels and the dispatcher compare versions.
 *
 * A store's outbox is consumed through one path: entries acknowledged by either path are
 * deleted, so mixing the cursor and claims on one store would hide entries from the other.
 * Idle times are measured with the server's clock (they coordinate processes, not the
 * simulation), not with the engine's `nowMs`.
 */
export interface SharedOutbox {
  /**
   * Up to `limit` entries for `consumer`: first entries left unacknowledged for at least
   * `minIdleMs` (by any consumer, this one included), then entries never delivered. Oldest
   * first within each group.
   */
  claimOutbox(consumer: string, limit: number, minIdleMs: number): Promise<readonly OutboxEvent[]>;
  /** Resets the idle time of entries `consumer` still works on (a heartbeat); returns how many. */
  renewOutboxClaims(consumer: string, seqs: readonly number[]): Promise<number>;
  /** Acknowledges delivered entries and deletes them; returns how many were pending. */
  ackOutboxEntries(seqs: readonly number[]): Promise<number>;
  /** See InventoryStore.recordOf: an instance whose commit answer was lost learns the outcome here. */
  recordOf(mutationId: string, nowMs: number): Promise<IdempotencyRecord | undefined>;
}

export type SharedOutboxStore = OpenedStore & SharedOutbox;

