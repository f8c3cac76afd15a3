/** The embedded store as `openStore('memory')` returns it: the engine's in-memory store, closable. */
import { InMemoryInventoryStore } from '../engine/memory-store.js';
import type { OpenedStore } from './types.js';

export class MemoryStore extends InMemoryInventoryStore implements OpenedStore {
  readonly kind = 'memory' as const;

  /** Nothing to release: the data lives and dies with this object. */
  async close(): Promise<void> {}
}
