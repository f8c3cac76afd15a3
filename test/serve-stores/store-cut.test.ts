// Proves that a `serve` instance survives its store's connections being cut mid-burst: the
// calls in flight fail (503 + Retry-After, never a request left hanging), the store client
// reconnects, and the instance serves again within seconds. One instance on Redis (CLIENT KILL),
// then on PostgreSQL (pg_terminate_backend); 30 senders deliver 300 signed 1-unit orders on a
// SKU holding 100 and redeliver every webhook not answered 200. The connections are cut twice,
// after 60 and after 150 acknowledged orders. Then: every order acknowledged, no request took
// 5 s or more, the store's record of applied commits holds exactly 100 orders each once, the
// level is 0 at version 101, /readyz answers 200, and the audit settles with nothing pending and
// no integrity violation. Skipped, with a note, when Redis or PostgreSQL is not up (required
// under INVSIM_REQUIRE_SERVICES=1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStatus, redisStatus, shouldRun } from '../stores/services.js';
import { adjust, audit, CHANNELS, eventually, orders, postgresUnderTest, postOrder, redisUnderTest, reset, startServe, stopAll, type ServeProcess, type StoreUnderTest } from './cluster.js';

const ORDERS = 300;
const STOCK = 100;
const SKU = 'HOT-1';
const SENDERS = 30;
const CUT_AFTER_ACKNOWLEDGED = [60, 150];
const MAX_ATTEMPTS = 400;
const REDELIVERY_DELAY_MS = 20;
/** What "the service answers within 5 s" means per request. */
const ANSWER_WITHIN_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const [redis, postgres] = await Promise.all([redisStatus(), postgresStatus()]);
const stores = [
  { name: 'Redis', run: shouldRun(redis), open: redisUnderTest },
  { name: 'PostgreSQL', run: shouldRun(postgres), open: postgresUnderTest },
] as const;

for (const { name, run, open } of stores) {
  describe.skipIf(!run)(`a serve instance on ${name} whose store connections are cut mid-burst`, () => {
    let s: StoreUnderTest | undefined;
    let serve: ServeProcess | undefined;
    beforeAll(async () => {
      s = await open();
      serve = await startServe(s.url, `${name.toLowerCase()}-cut`);
    });
    afterAll(async () => {
      await stopAll();
      await s?.cleanup();
    });

    it('fails the calls in flight, reconnects, and ends with every order applied exactly once or rejected', async () => {
      const store = s!;
      const url = serve!.url;
      await reset(url);
      await adjust(url, SKU, 'stock-load-1', STOCK);
      const list = orders(ORDERS, SKU);
      let acknowledged = 0;
      let unavailable = 0;
      let slowestMs = 0;
      const cuts: Promise<number>[] = [];
      const answered = new Array<string | undefined>(ORDERS);

      const deliver = async (n: number): Promise<void> => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const started = performance.now();
          let status = 0;
          try {
            const r = await postOrder(url, CHANNELS[n % CHANNELS.length]!, list[n]!);
            status = r.status;
            if (r.status === 200) answered[n] = r.body.status;
          } catch {
            // Timed out or reset: not acknowledged.
          }
          slowestMs = Math.max(slowestMs, performance.now() - started);
          if (status === 200) {
            if (CUT_AFTER_ACKNOWLEDGED.includes(++acknowledged)) cuts.push(store.cutConnections());
            return;
          }
          if (status === 503) unavailable++;
          await sleep(REDELIVERY_DELAY_MS);
        }
        throw new Error(`order ${n} not acknowledged after ${MAX_ATTEMPTS} attempts`);
      };

      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < ORDERS) await deliver(next++);
        }),
      );
      const cut = await Promise.all(cuts);
      process.stderr.write(`${name}: cut ${cut.join(' + ')} connections; ${unavailable} answers 503; slowest answer ${Math.round(slowestMs)} ms\n`);
      expect(cut.every((n) => n > 0)).toBe(true);
      expect(unavailable).toBeGreaterThan(0);
      expect(slowestMs).toBeLessThan(ANSWER_WITHIN_MS);
      expect(answered.filter((a) => a !== undefined)).toHaveLength(ORDERS);

      // Applied exactly once, judged by the store's own record of applied commits.
      // (The test's own connection was cut too: it reconnects.)
      await eventually(async () => expect(await store.store.read(SKU)).toEqual({ quantity: 0, version: 1 + STOCK }), 5_000);
      const recorded = (await store.applied()).filter((id) => id.startsWith('order:'));
      expect(recorded).toHaveLength(STOCK);
      expect(new Set(recorded).size).toBe(STOCK);

      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      await eventually(async () => {
        const a = await audit(url);
        expect({ settled: a.settled, pending: a.orders.pending }).toEqual({ settled: true, pending: 0 });
        expect(a.integrityViolations, JSON.stringify(a.violations)).toBe(0);
      }, 20_000);
      expect(serve!.log()).not.toMatch(/internal error/);
    });
  });
}
