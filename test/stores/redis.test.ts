// The InventoryStore contract and the shared-outbox contract against Redis, plus what only
// Redis shows: the commit is one script call (one round trip), idempotency keys carry a real
// expiry, a connection dropped mid-commit leaves each commit all there or not at all, and an
// unreachable server fails at open with the address and the reason. Skipped, with a note,
// when no Redis answers at 127.0.0.1:6379 (INVSIM_TEST_REDIS_URL).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { systemTimers } from '../../src/adapters/system.js';
import { StoreUnavailableError, StoreUrlError } from '../../src/stores/errors.js';
import { openStore } from '../../src/stores/open.js';
import { RedisInventoryStore } from '../../src/stores/redis.js';
import { InventoryMutationProcessor } from '../../src/engine/index.js';
import { eventually, inventoryStoreContract, order, ports, request, sharedOutboxContract, T0 } from './contract.js';
import { redisHarness } from './harness.js';
import { REDIS_URL, redisStatus, shouldRun, withParams } from './services.js';

const status = await redisStatus();
const run = shouldRun(status);

describe.skipIf(!run)('Redis store', () => {
  inventoryStoreContract(redisHarness());
  sharedOutboxContract(redisHarness());

  describe('Redis specifics', () => {
    const harness = redisHarness();
    afterAll(() => harness.cleanup());

    it('a commit is one command on the wire (EVALSHA of the commit script)', async () => {
      const { store } = await harness.create();
      await store.seed('A', 5);
      const spy = vi.spyOn(Redis.prototype, 'sendCommand');
      try {
        const result = await store.commit(request({ mutationId: 'm1' }), T0);
        expect(result.ok).toBe(true);
        const names = spy.mock.calls.map((call) => (call[0] as { name: string }).name);
        expect(names).toEqual(['evalsha']);
      } finally {
        spy.mockRestore();
      }
    });

    it('an idempotency key has a real Redis expiry of the TTL and disappears after it', async () => {
      const { store } = await harness.create();
      await store.seed('A', 5);
      expect((await store.commit(request({ mutationId: 'short', idempotencyTtlMs: 150 }), T0)).ok).toBe(true);
      const ttl = await store.idempotencyKeyTtlMs('short');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(150);
      await systemTimers.sleep(300);
      expect(await store.idempotencyKeyTtlMs('short')).toBe(-2);
      // The default TTL (a day) is set too.
      expect((await store.commit(request({ mutationId: 'long', expectedVersion: 2, quantity: 3, idempotencyTtlMs: 86_400_000 }), T0)).ok).toBe(true);
      expect(await store.idempotencyKeyTtlMs('long')).toBeGreaterThan(86_000_000);
    });

    it('a connection dropped in the middle of a burst of commits: each commit is all there or not at all', async () => {
      const fixture = await harness.create();
      await fixture.store.seed('A', 100);
      const victim = await fixture.reopen();
      // 40 commits on 40 SKUs go out on one connection; the socket is destroyed while they are in flight.
      for (let i = 0; i < 40; i++) await fixture.store.seed(`S${i}`, 10);
      const pending = Array.from({ length: 40 }, (_, i) =>
        victim.commit(request({ mutationId: `m${i}`, sku: `S${i}`, expectedVersion: 1, quantity: 9 }), T0).then(
          () => 'ok',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
      );
      await Promise.resolve();
      victim.disconnectNow();
      const outcomes = await Promise.all(pending);
      expect(outcomes.some((o) => o !== 'ok')).toBe(true);
      // The server runs whatever it had received before it saw the socket close; look only
      // once it has dropped the connection.
      const admin = new Redis(REDIS_URL);
      try {
        await eventually(async () => {
          const clients = (await admin.client('LIST')) as string;
          expect(clients.split('\n').filter((line) => line.includes(` name=invsim:${fixture.store.namespace} `))).toHaveLength(1);
        });
      } finally {
        admin.disconnect();
      }
      const { store } = fixture;
      const events = await store.readOutbox(0, 1000);
      const inOutbox = new Set(events.map((e) => e.mutationId));
      for (let i = 0; i < 40; i++) {
        const level = await store.read(`S${i}`);
        const recorded = await store.hasProcessed(`m${i}`, T0);
        const written = level.version === 2;
        expect({ i, recorded, outbox: inOutbox.has(`m${i}`) }).toEqual({ i, recorded: written, outbox: written });
        expect(level).toEqual(written ? { quantity: 9, version: 2 } : { quantity: 10, version: 1 });
      }
      // The sender redelivers what it got no answer for: each order ends applied exactly once.
      const processor = new InventoryMutationProcessor({ ...ports(), store });
      for (let i = 0; i < 40; i++) {
        if (outcomes[i] === 'ok') continue;
        const outcome = await processor.handle(order(`m${i}`, `S${i}`));
        expect(outcome.status).toBe(inOutbox.has(`m${i}`) ? 'duplicate' : 'applied');
        expect(await store.read(`S${i}`)).toEqual({ quantity: 9, version: 2 });
      }
    });

    it('namespaces do not see each other, and reset wipes only its own', async () => {
      const one = await harness.create();
      const two = await harness.create();
      await one.store.seed('A', 1);
      await two.store.seed('B', 2);
      expect(await one.store.skus()).toEqual(['A']);
      expect(await two.store.skus()).toEqual(['B']);
      await one.store.reset();
      expect(await one.store.skus()).toEqual([]);
      expect(await two.store.skus()).toEqual(['B']);
    });
  });
});

describe('Redis connection failures (no server needed)', () => {
  it('an unreachable server fails at open, fast, naming the address and the reason', async () => {
    const started = Date.now();
    const error = await openStore('redis://127.0.0.1:6390').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('cannot reach redis at 127.0.0.1:6390: ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a bad connection string is a StoreUrlError (a RangeError: bad usage)', async () => {
    await expect(openStore('redis://127.0.0.1:6379/abc')).rejects.toThrow(/bad connection string .*database number/);
    await expect(openStore('redis://127.0.0.1:6379?namespace=a b')).rejects.toThrow(StoreUrlError);
    await expect(openStore('redis://127.0.0.1:6379?prefix=x')).rejects.toThrow(/unknown parameter 'prefix'/);
  });

  it.skipIf(!run)('a server that answers opens, and closing twice is harmless', async () => {
    const store = await openStore(withParams(REDIS_URL, { namespace: `open_${process.pid}` }));
    expect(store).toBeInstanceOf(RedisInventoryStore);
    await store.close();
    await store.close();
  });
});
