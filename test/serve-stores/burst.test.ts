// Proves that several `invsim serve` processes sharing one store keep the engine's guarantees
// together: 500 concurrent signed 1-unit orders on a SKU holding 50, spread round-robin over
// three instances (separate processes, the built CLI) on one Redis namespace, and again on one
// PostgreSQL schema, apply exactly 50 and reject 450. The store's own record of applied commits
// (Redis MONITOR, a PostgreSQL trigger) shows no mutation applied twice; the instances' audits,
// summed, match the store's level (cluster.ts); a full replay, each order sent to a different
// instance than the first time, is 500 duplicates that change nothing; and every channel model
// of every instance converges to the store's level, with the outbox drained. Skipped, with a
// note, when Redis or PostgreSQL is not up (required under INVSIM_REQUIRE_SERVICES=1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { combineAudits } from '../../src/serve/cluster.js';
import {
  adjust,
  audit,
  CHANNELS,
  eventually,
  expectConverged,
  inventory,
  orders,
  postOrder,
  reset,
  startServe,
  stopAll,
  storesUnderTest,
  type ServeProcess,
  type StoreUnderTest,
} from './cluster.js';
import { idempotencyKey } from '../../src/serve/keys.js';

const ORDERS = 500;
const STOCK = 50;
const SKU = 'HOT-1';
const INSTANCES = 3;

const stores = await storesUnderTest();

for (const { name, run, open } of stores) {
  describe.skipIf(!run)(`three serve instances sharing one ${name} store`, () => {
    let s: StoreUnderTest | undefined;
    let instances: ServeProcess[] = [];
    beforeAll(async () => {
      s = await open();
      instances = await Promise.all(Array.from({ length: INSTANCES }, (_, k) => startServe(s!.url, `${name.toLowerCase()}-burst-${k}`)));
    });
    afterAll(async () => {
      await stopAll();
      await s?.cleanup();
    });

    it('apply exactly 50 of 500 orders, reject 450, and a full replay on other instances is 500 duplicates', async () => {
      const store = s!;
      const urls = instances.map((i) => i.url);
      // Resetting clears the shared store; each instance is reset for its own counts and channel
      // models. (Between two resets an instance may find the outbox's consumer group gone for a
      // moment, and say so: only what it says after the resets is held against it below.)
      for (const url of urls) await reset(url);
      // What the resets make the instances say is said within a pump or two: the logs are taken
      // from once they have been quiet for a second (at most 15 s), not after a fixed pause.
      let logFrom = instances.map((i) => i.log().length);
      for (let waited = 0; waited < 15; waited++) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = instances.map((i) => i.log().length);
        const quiet = now.every((length, k) => length === logFrom[k]);
        logFrom = now;
        if (quiet) break;
      }
      expect(await adjust(urls[0]!, SKU, 'stock-load-1', STOCK)).toMatchObject({ status: 'applied', quantity: STOCK, version: 1 });
      const list = orders(ORDERS, SKU);

      const started = performance.now();
      const first = await Promise.all(list.map((order, n) => postOrder(urls[n % INSTANCES]!, CHANNELS[n % CHANNELS.length]!, order)));
      const elapsedS = (performance.now() - started) / 1000;
      process.stderr.write(`${name}, ${INSTANCES} instances: 500 concurrent orders in ${elapsedS.toFixed(2)} s (${(ORDERS / elapsedS).toFixed(0)} requests/s)\n`);

      expect(first.map((r) => r.status)).toEqual(new Array(ORDERS).fill(200));
      const applied = first.filter((r) => r.body.status === 'applied');
      const rejected = first.filter((r) => r.body.status === 'rejected');
      expect(applied).toHaveLength(STOCK);
      expect(rejected).toHaveLength(ORDERS - STOCK);
      expect(rejected.every((r) => r.body.reason === 'insufficient_stock' && r.body.quantity === 0)).toBe(true);
      // Each applied order left its own level and version: no two read one version and both won.
      expect(applied.map((r) => r.body.quantity!).sort((a, b) => a - b)).toEqual(Array.from({ length: STOCK }, (_, i) => i));
      expect(applied.map((r) => r.body.version!).sort((a, b) => a - b)).toEqual(Array.from({ length: STOCK }, (_, i) => i + 2));

      const level = await store.store.read(SKU);
      expect(level).toEqual({ quantity: 0, version: 1 + STOCK });
      for (const url of urls) expect(await inventory(url, SKU)).toMatchObject({ quantity: 0, version: 1 + STOCK });

      // The store's record: exactly the 50 orders answered `applied`, each once.
      // The store keys an order by (channel, kind, id): `order:<channel>:<mutationId>`.
      const appliedIds = first.flatMap((r, n) => (r.body.status === 'applied' ? [idempotencyKey('order', CHANNELS[n % CHANNELS.length]!, list[n]!.mutationId)] : []));
      await eventually(async () => expect((await store.applied()).filter((id) => id.startsWith('order:'))).toHaveLength(STOCK), 10_000);
      const recorded = (await store.applied()).filter((id) => id.startsWith('order:'));
      expect(new Set(recorded).size).toBe(recorded.length);
      expect([...recorded].sort()).toEqual([...appliedIds].sort());

      const audits = await Promise.all(urls.map(audit));
      for (const a of audits) {
        expect(a.instance.sharedStore).toBe(true);
        expect(a.integrityViolations, JSON.stringify(a.violations)).toBe(0);
      }
      const cluster = combineAudits(audits, [level]);
      expect(cluster.orders).toEqual({ received: ORDERS, applied: STOCK, rejected: ORDERS - STOCK, duplicates: 0, decidedElsewhere: 0, pending: 0 });
      expect(cluster.adjustments).toMatchObject({ applied: 1 });
      expect(cluster.commits).toEqual({ applied: 1 + STOCK, unitsDelta: 0 });
      expect(cluster.violations).toEqual([]);
      expect(cluster.integrityViolations).toBe(0);

      // The replay: every order again, each to the instance after the one that first took it.
      const replay = await Promise.all(list.map((order, n) => postOrder(urls[(n + 1) % INSTANCES]!, CHANNELS[n % CHANNELS.length]!, order)));
      expect(replay.filter((r) => r.status === 200 && r.body.status === 'duplicate')).toHaveLength(ORDERS);
      expect(await store.store.read(SKU)).toEqual(level);
      const again = combineAudits(await Promise.all(urls.map(audit)), [level]);
      expect(again.orders).toEqual({ received: 2 * ORDERS, applied: STOCK, rejected: ORDERS - STOCK, duplicates: ORDERS, decidedElsewhere: ORDERS, pending: 0 });
      expect(again.commits).toEqual(cluster.commits);
      expect(again.integrityViolations).toBe(0);
      expect((await store.applied()).filter((id) => id.startsWith('order:'))).toHaveLength(STOCK);

      // Propagation: every outbox entry delivered and acknowledged, every channel model of every
      // instance at the store's level.
      await expectConverged(urls, SKU, level, 30_000);
      await eventually(async () => expect(await store.outboxLength()).toBe(0), 30_000);
      const settled = await Promise.all(urls.map(audit));
      expect(settled.map((a) => a.integrityViolations)).toEqual([0, 0, 0]);
      instances.forEach((i, k) => expect(i.log().slice(logFrom[k])).not.toMatch(/internal error|store trouble/));
    });
  });
}
