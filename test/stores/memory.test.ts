// The InventoryStore contract (test/stores/contract.ts) against the engine's embedded
// InMemoryInventoryStore: the reference the Redis and PostgreSQL stores must match.
import { inventoryStoreContract } from './contract.js';
import { memoryHarness } from './harness.js';

inventoryStoreContract(memoryHarness());
