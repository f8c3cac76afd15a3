/** The engine's public surface, with every port required (what the simulator uses). */
export * from './ports.js';
export * from './mutation.js';
export * from './retry.js';
export * from './defaults.js';
export { InventoryMutationProcessor, DEFAULT_CONFLICT_RETRY } from './processor.js';
export type { ProcessorOptions, ProcessorPorts, ProcessorStats, ConflictRetryPolicy } from './processor.js';
export { PropagationDispatcher, DEFAULT_CAS_SETTLE_MS, DEFAULT_OUTBOX_BATCH, DEFAULT_STORE_RETRY_POLICY } from './dispatcher.js';
export { InvariantError } from './invariant.js';
export type { DispatcherOptions, DispatcherPorts, DispatcherStats } from './dispatcher.js';
export { Reconciler } from './reconciler.js';
export type { ReconcilerOptions, ReconcileReport } from './reconciler.js';
export { InMemoryInventoryStore } from './memory-store.js';
export type { InMemoryInventoryStoreOptions, CommitStep } from './memory-store.js';
export * from './latency-observer.js';
export * from './freshness.js';
export * from './leakage.js';
export * from './listing-policy.js';
