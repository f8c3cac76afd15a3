/**
 * A store that forwards every call to another, except those given in `overrides`: the one way
 * to wrap an `InventoryStore` (observe its commits, guard its failures, or, in the simulator,
 * rebuild a pitfall), so a port method added later is forwarded everywhere or nowhere.
 */
import type { InventoryStore } from './ports.js';

export function forwardStore(store: InventoryStore, overrides: Partial<InventoryStore> = {}): InventoryStore {
  const forwarded: InventoryStore = {
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
  };
  const recordOf = store.recordOf;
  if (recordOf !== undefined) forwarded.recordOf = (id, now) => recordOf.call(store, id, now);
  return { ...forwarded, ...overrides };
}
