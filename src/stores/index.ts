/** Store adapters behind the engine's `InventoryStore` port: memory, Redis, PostgreSQL. */
export { openStore, hasSharedOutbox } from './open.js';
export type { AnyStore, OpenStoreOptions } from './open.js';
export { MemoryStore } from './memory.js';
export { RedisInventoryStore } from './redis.js';
export type { RedisStoreOptions } from './redis.js';
export { PostgresInventoryStore } from './postgres.js';
export type { PostgresStoreOptions } from './postgres.js';
export { claimingOutbox, ClaimingOutboxView } from './claiming-view.js';
export type { ClaimingOutboxOptions } from './claiming-view.js';
export { migrate, loadMigrations, pendingMigrations, MIGRATIONS_DIR } from './migrate.js';
export type { Migration, MigrationReport } from './migrate.js';
export { parseStoreUrl } from './url.js';
export type { StoreLocation } from './url.js';
export { StoreUrlError, StoreUnavailableError } from './errors.js';
export type { OpenedStore, SharedOutbox, SharedOutboxStore, StoreKind } from './types.js';
