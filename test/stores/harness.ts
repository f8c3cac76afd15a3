// Store factories for the contract suite: each gives fresh, isolated stores (a Redis
// namespace or a PostgreSQL schema of their own), more instances on the same data (a
// restart, a second process), and instances whose commits fail at a chosen step.
import type { CommitStep } from '../../src/engine/memory-store.js';
import { InMemoryInventoryStore } from '../../src/engine/memory-store.js';
import type { InventoryStore } from '../../src/engine/ports.js';
import { PostgresInventoryStore } from '../../src/stores/postgres.js';
import { RedisInventoryStore } from '../../src/stores/redis.js';
import type { SharedOutbox } from '../../src/stores/types.js';
import { POSTGRES_URL, REDIS_URL } from './services.js';

export interface StoreUnderTest extends InventoryStore {
  seed(sku: string, quantity: number, version?: number): void | Promise<void>;
  close?(): Promise<void>;
}

export interface StoreFixture<S extends StoreUnderTest = StoreUnderTest> {
  readonly store: S;
  /** Another instance on the same data (a restart or a second process); memory: the same object. */
  reopen(): Promise<S>;
  /** An instance on the same data whose commits fail at `step` (inside the server for Redis and PostgreSQL). */
  failing(step: CommitStep): Promise<StoreUnderTest>;
}

export interface StoreHarness<S extends StoreUnderTest = StoreUnderTest> {
  readonly name: string;
  /** Data outlives a store instance: a new instance on the same server sees it. */
  readonly durable: boolean;
  create(): Promise<StoreFixture<S>>;
  /** Closes every instance and deletes every namespace or schema this harness made. */
  cleanup(): Promise<void>;
}

let counter = 0;
/** A name no other test process uses at the same time. */
function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}_${process.pid}_${counter}_${Math.floor(Math.random() * 1e6)}`;
}

export function memoryHarness(): StoreHarness<InMemoryInventoryStore> {
  return {
    name: 'InMemoryInventoryStore',
    durable: false,
    async create() {
      const control: { failAt: CommitStep | undefined } = { failAt: undefined };
      const store = new InMemoryInventoryStore({
        faultHook: (step) => {
          if (control.failAt === step) throw new Error(`injected fault at ${step}`);
        },
      });
      const failing = async (step: CommitStep): Promise<StoreUnderTest> =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'commit') {
              return async (...args: Parameters<InventoryStore['commit']>) => {
                control.failAt = step;
                try {
                  return await target.commit(...args);
                } finally {
                  control.failAt = undefined;
                }
              };
            }
            const value = Reflect.get(target, prop, receiver) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
      return { store, reopen: async () => store, failing };
    },
    async cleanup() {},
  };
}

export type SharedStore = StoreUnderTest & SharedOutbox & { close(): Promise<void> };

export function redisHarness(): StoreHarness<RedisInventoryStore> {
  const opened: RedisInventoryStore[] = [];
  const namespaces = new Set<string>();
  const open = async (namespace: string, failAt?: CommitStep): Promise<RedisInventoryStore> => {
    const store = await RedisInventoryStore.open({ url: REDIS_URL, namespace, ...(failAt === undefined ? {} : { failAt }) });
    opened.push(store);
    return store;
  };
  return {
    name: 'RedisInventoryStore',
    durable: true,
    async create() {
      const namespace = uniqueName('t');
      namespaces.add(namespace);
      const store = await open(namespace);
      await store.reset();
      return { store, reopen: () => open(namespace), failing: (step) => open(namespace, step) };
    },
    async cleanup() {
      if (opened.length === 0) return;
      for (const namespace of namespaces) {
        const store = await RedisInventoryStore.open({ url: REDIS_URL, namespace });
        await store.reset();
        await store.close();
      }
      await Promise.all(opened.splice(0).map((s) => s.close()));
      namespaces.clear();
    },
  };
}

export function postgresHarness(): StoreHarness<PostgresInventoryStore> {
  const opened: PostgresInventoryStore[] = [];
  const schemas = new Set<string>();
  const open = async (schema: string, options: { migrate?: boolean; failAt?: CommitStep } = {}): Promise<PostgresInventoryStore> => {
    const store = await PostgresInventoryStore.open({ url: POSTGRES_URL, schema, poolSize: 10, ...options });
    opened.push(store);
    return store;
  };
  return {
    name: 'PostgresInventoryStore',
    durable: true,
    async create() {
      const schema = uniqueName('invsim_t');
      schemas.add(schema);
      const store = await open(schema, { migrate: true });
      return { store, reopen: () => open(schema), failing: (step) => open(schema, { failAt: step }) };
    },
    async cleanup() {
      const live = opened.splice(0);
      const first = live[0];
      for (const schema of schemas) await first?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      schemas.clear();
      await Promise.all(live.map((s) => s.close()));
    },
  };
}
