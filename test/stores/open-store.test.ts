// openStore picks the store from a connection string and fails at once, with a message a
// person can act on, on a string it cannot use. No server is needed here: the servers' own
// failures (unreachable, database missing, not migrated) are in redis.test.ts and postgres.test.ts.
import { describe, expect, it } from 'vitest';
import { InventoryMutationProcessor } from '../../src/engine/index.js';
import { StoreUrlError } from '../../src/stores/errors.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { hasSharedOutbox, openStore } from '../../src/stores/open.js';
import { parseStoreUrl } from '../../src/stores/url.js';
import { order, ports } from './contract.js';

describe('parseStoreUrl', () => {
  it('reads memory, redis and postgres strings with their defaults, and removes our own parameters', () => {
    expect(parseStoreUrl('memory')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl(' memory: ')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', namespace: 'main', callTimeoutMs: 2_000, display: 'redis://127.0.0.1:6379' });
    expect(parseStoreUrl('redis://:s3cret@cache:6380/2?namespace=shop-eu&timeout_ms=500')).toEqual({
      kind: 'redis',
      url: 'redis://:s3cret@cache:6380/2',
      namespace: 'shop-eu',
      callTimeoutMs: 500,
      display: 'redis://:***@cache:6380/2',
    });
    expect(parseStoreUrl('postgres://app:pw@db:5432/inventory?schema=eu&pool=20&sslmode=require')).toEqual({
      kind: 'postgres',
      url: 'postgres://app:pw@db:5432/inventory?sslmode=require',
      schema: 'eu',
      poolSize: 20,
      callTimeoutMs: 2_000,
      display: 'postgres://app:***@db:5432/inventory?sslmode=require',
    });
    expect(parseStoreUrl('postgresql://db/inventory')).toMatchObject({ kind: 'postgres', schema: 'invsim', poolSize: 10 });
  });

  it.each([
    ['', /^bad connection string '': expected memory, redis:\/\/.* or postgres:\/\//],
    ['localhost:6379', /unknown scheme 'localhost:'/],
    ['mysql://db/x', /^bad connection string 'mysql:\/\/db\/x': unknown scheme 'mysql:'/],
    ['redis://', /no host/],
    ['redis://h/x', /database number/],
    ['redis://h?namespace=a*b', /namespace must match/],
    ['redis://h?db=1', /unknown parameter 'db'/],
    ['postgres://h', /no database name/],
    ['postgres://h/db?schema=Public', /schema must match/],
    ['postgres://h/db?pool=abc', /pool must be an integer within 1\.\.1000/],
    ['redis://h?timeout_ms=0', /timeout_ms must be an integer within 50\.\.60000, got '0'/],
    ['postgres://h/db?timeout_ms=1.5', /timeout_ms must be an integer within 50\.\.60000/],
  ])('refuses %j with a StoreUrlError (a RangeError)', (text, message) => {
    expect(() => parseStoreUrl(text)).toThrow(StoreUrlError);
    expect(() => parseStoreUrl(text)).toThrow(RangeError);
    expect(() => parseStoreUrl(text)).toThrow(message);
  });

  it('never prints a password', () => {
    expect(() => parseStoreUrl('postgres://app:hunter2@db:5432/x?pool=0')).toThrow(/postgres:\/\/app:\*\*\*@db:5432/);
    expect(() => parseStoreUrl('postgres://app:hunter2@db:5432/x?pool=0')).not.toThrow(/hunter2/);
  });
});

describe('openStore', () => {
  it("'memory' gives a ready, closable in-memory store the engine runs on", async () => {
    const store = await openStore('memory');
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store.kind).toBe('memory');
    expect(hasSharedOutbox(store)).toBe(false);
    await store.seed('A', 3);
    const processor = new InventoryMutationProcessor({ ...ports(), store });
    expect(await processor.handle(order('o1'))).toMatchObject({ status: 'applied', quantity: 2 });
    await store.close();
  });

  it('a bad string rejects before any connection is tried', async () => {
    await expect(openStore('mongodb://db/x')).rejects.toThrow(StoreUrlError);
  });
});
