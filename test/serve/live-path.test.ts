// Proves what the live path needs from `invsim serve`: with --speedup N the whole scenario world
// runs N times faster on one scenario clock (a channel's fixed 2 s latency takes 2 s/N of real time
// and is reported as 2 s, retry backoff parks an update after its scenario-time delays), with
// --storefront an order its channel's listing cannot show is not taken and counts as a lost sale
// when the source of truth had the units, and /audit integrates freshness over the measured window
// (from POST /start, the load's time 0, or else the first order; what came before is dropped)
// exactly as the simulator defines it (checked against the closed form L²/2M of a stale stretch).
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { getScenario, parseScenarioText } from '../../src/scenarios/load.js';
import { idempotencyKey } from '../../src/serve/keys.js';
import { SECRETS, adjust, audit, memoryStoreWithCommit, postOrder, startTestServer, type TestServer } from './helpers.js';

const file = parseScenarioText(`
scenarios:
  slow-woo:
    durationS: 600
    catalog: { skus: 2, initialStockMin: 1, initialStockMax: 1 }
    channels:
      - { id: woo, preset: woocommerce, overrides: { latency: { kind: fixed, ms: 2000 } } }
    demand: { ordersPerDay: 0 }
    engine: { processorWorkers: 1 }
    inventory_sync:
      ai_freshness: { max_staleness_seconds: 30, min_confidence_score: 0.8 }
      retry_policy: { max_retries: 3, base_delay_ms: 1000, max_delay_ms: 30000, backoff_multiplier: 2 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies: { event-driven: { kind: event-driven } }
  down-woo:
    durationS: 600
    catalog: { skus: 1, initialStockMin: 1, initialStockMax: 1 }
    channels:
      - { id: woo, preset: woocommerce, overrides: { latency: { kind: fixed, ms: 10 } } }
    demand: { ordersPerDay: 0 }
    faults: { outages: [{ channel: woo, startS: 0, durationS: 100000 }] }
    inventory_sync:
      retry_policy: { max_retries: 3, base_delay_ms: 1000, max_delay_ms: 30000, backoff_multiplier: 2 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies: { event-driven: { kind: event-driven } }
  quota-woo:
    durationS: 600
    catalog: { skus: 2, initialStockMin: 1, initialStockMax: 1 }
    channels:
      - { id: woo, preset: woocommerce, overrides: { latency: { kind: fixed, ms: 10 }, rateLimits: [{ kind: quota, limit: 1, periodS: 86400 }] } }
    demand: { ordersPerDay: 0 }
    inventory_sync:
      retry_policy: { max_retries: 3, base_delay_ms: 1000, max_delay_ms: 30000, backoff_multiplier: 2 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies: { event-driven: { kind: event-driven } }
  redrive:
    durationS: 600
    catalog: { skus: 1, initialStockMin: 1, initialStockMax: 1 }
    channels:
      - { id: woo, preset: woocommerce, overrides: { latency: { kind: fixed, ms: 10 } } }
    demand: { ordersPerDay: 0 }
    faults: { outages: [{ channel: woo, startS: 0, durationS: 5 }] }
    engine: { redriveDlqEveryS: 10 }
    inventory_sync:
      retry_policy: { max_retries: 1, base_delay_ms: 100, max_delay_ms: 100, backoff_multiplier: 1 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies: { event-driven: { kind: event-driven } }
`);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close({ drainTimeoutMs: 1_000 });
  server = undefined;
});

describe('RealTimeSource with a speedup', () => {
  it('reads and waits in scenario milliseconds, N of them per real millisecond', async () => {
    const time = new RealTimeSource({ speedup: 50 });
    const real = performance.now();
    await time.sleep(1_000);
    const realMs = performance.now() - real;
    expect(time.nowMs()).toBeGreaterThanOrEqual(1_000);
    // 1 000 scenario ms at 50x is 20 real ms (a loaded machine may add some, never remove).
    expect(realMs).toBeGreaterThanOrEqual(19);
    expect(realMs).toBeLessThan(1_000);
    expect(time.nowMs() / time.realNowMs()).toBeCloseTo(50, 0);
    expect(() => new RealTimeSource({ speedup: 0 })).toThrow(/speedup must be a finite number > 0, got 0/);
    time.dispose();
  });

  it('never wakes before its time (Node timers can, by up to a real millisecond: N scenario ms)', async () => {
    const time = new RealTimeSource({ speedup: 60 });
    const early: number[] = [];
    await new Promise<void>((resolve) => {
      let left = 200;
      for (let i = 0; i < 200; i++) {
        const dueMs = time.nowMs() + 60 + i * 13.7;
        const check = (): void => {
          if (time.nowMs() < dueMs) early.push(dueMs - time.nowMs());
          if (--left === 0) resolve();
        };
        if (i % 2 === 0) time.schedule(dueMs - time.nowMs(), check);
        else void time.sleep(dueMs - time.nowMs()).then(check);
      }
    });
    expect(early).toEqual([]);
    time.dispose();
  });

  it('gives a wait shorter than a real millisecond to setImmediate, not to a 1 ms timer', async () => {
    const time = new RealTimeSource({ speedup: 1_000 });
    const started = performance.now();
    for (let i = 0; i < 200; i++) await time.sleep(100); // 0.1 real ms each
    // Two hundred 1 ms timers would take at least 200 ms; half that leaves room for a pause.
    expect(performance.now() - started).toBeLessThan(100);
    time.dispose();
  });
});

describe('invsim serve --speedup', () => {
  it("compresses a channel's latency and reports it in scenario time", async () => {
    server = await startTestServer(getScenario(file, 'slow-woo'), { faults: false, speedup: 40 });
    const started = performance.now();
    await adjust(server.url, 'SKU-1', 'load-1', 3);
    expect(await server.service.settle(10_000)).toBe(true);
    const realMs = performance.now() - started;
    const a = await audit(server.url);
    expect(a.speedup).toBe(40);
    // 2 000 scenario ms of latency at 40x: about 50 real ms, reported as 2 000 ms plus the real
    // overhead times 40 (a loaded machine adds some). Uncompressed it would be 2 real s, 80 000 here.
    expect(realMs).toBeLessThan(1_500);
    expect(a.latencyMsByChannel['woo']!.count).toBe(1);
    expect(a.latencyMsByChannel['woo']!.p99).toBeGreaterThanOrEqual(2_000);
    expect(a.latencyMsByChannel['woo']!.p99).toBeLessThan(20_000);
    expect(a.scenarioTimeS).toBeCloseTo(a.uptimeS * 40, -1);
  });

  it("times each order from its delivery to the engine's answer, in scenario time, orders only and not their redeliveries", async () => {
    server = await startTestServer(getScenario(file, 'slow-woo'), { faults: false, speedup: 40 });
    await adjust(server.url, 'SKU-1', 'load-1', 3);
    expect((await audit(server.url)).orderProcessingMs.count).toBe(0);
    const order = { mutationId: 'o-1', orderId: 'o-1', sku: 'SKU-1', quantity: 1 };
    const started = performance.now();
    expect((await postOrder(server.url, 'woo', order)).body.status).toBe('applied');
    const realMs = performance.now() - started;
    expect((await postOrder(server.url, 'woo', order)).body.status).toBe('duplicate');
    const taken = { ...order, mutationId: 'o-2', orderId: 'o-2', quantity: 5 };
    expect((await postOrder(server.url, 'woo', taken)).body).toMatchObject({ status: 'rejected', reason: 'insufficient_stock' });
    const p = (await audit(server.url)).orderProcessingMs;
    expect(p.count).toBe(2);
    // Two store operations of 1 scenario ms each, at least; at most the request's own real time, times 40.
    expect(p.max).toBeGreaterThanOrEqual(2);
    expect(p.p50).toBeLessThanOrEqual(realMs * 40);
  });

  it('runs the retry backoff in scenario time, and opens fault windows at the first order', async () => {
    server = await startTestServer(getScenario(file, 'down-woo'), { faults: true, speedup: 100 });
    // Before the first order no fault window is open: the scenario's time 0 is the load's start.
    await adjust(server.url, 'SKU-0', 'before', 1);
    expect(await server.service.settle(5_000)).toBe(true);
    expect((await audit(server.url)).dlq.parked).toBe(0);
    await postOrder(server.url, 'woo', { mutationId: 'first', orderId: 'first', sku: 'SKU-0', quantity: 1 });
    expect(await server.service.settle(5_000)).toBe(true);
    const parkedBefore = (await audit(server.url)).dlq.parked;
    const started = performance.now();
    await adjust(server.url, 'SKU-1', 'load-1', 3);
    for (let i = 0; i < 200 && (await audit(server.url)).dlq.parked === parkedBefore; i++) await new Promise((r) => setTimeout(r, 10));
    const realMs = performance.now() - started;
    const a = await audit(server.url);
    expect(a.dlq.parked).toBe(parkedBefore + 1);
    // 7 scenario seconds of backoff (with jitter) at 100x: well under the 7 real seconds it would take uncompressed.
    expect(realMs).toBeLessThan(3_000);
    expect(a.scenarioTimeS).toBeGreaterThanOrEqual(5);
  });
});

describe('invsim serve: the scenario clock starts at POST /start, the load\'s time 0', () => {
  const start = async (url: string): Promise<{ status: string; windowFromS: number; alreadyOpen: boolean }> => {
    const res = await fetch(`${url}/start`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; windowFromS: number; alreadyOpen: boolean };
  };

  it('opens the fault windows at /start with no order yet, once; a second /start and the first order change nothing', async () => {
    server = await startTestServer(getScenario(file, 'down-woo'), { faults: true, speedup: 100 });
    await adjust(server.url, 'SKU-0', 'before', 1);
    expect(await server.service.settle(5_000)).toBe(true);
    expect((await audit(server.url)).dlq.parked).toBe(0);
    const first = await start(server.url);
    expect(first).toMatchObject({ status: 'started', alreadyOpen: false });
    // No order yet, but the window (and the outage in it) is open: the next update parks.
    await adjust(server.url, 'SKU-1', 'load-1', 3);
    for (let i = 0; i < 300 && (await audit(server.url)).dlq.parked === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await audit(server.url)).dlq.parked).toBe(1);
    expect(await start(server.url)).toEqual({ status: 'started', windowFromS: first.windowFromS, alreadyOpen: true });
    await postOrder(server.url, 'woo', { mutationId: 'o1', orderId: 'o1', sku: 'SKU-1', quantity: 1 });
    expect(await start(server.url)).toEqual({ status: 'started', windowFromS: first.windowFromS, alreadyOpen: true });
  });
});

describe('invsim serve: the channels\' rate limits start afresh at POST /start', () => {
  it('gives the load a full quota, whatever loading the stock used, with windows counted from its time 0', async () => {
    // One call a day: loading the stock uses it.
    server = await startTestServer(getScenario(file, 'quota-woo'), { faults: true, speedup: 100 });
    await adjust(server.url, 'SKU-0', 'load-0', 1);
    expect(await server.service.settle(5_000)).toBe(true);
    const res = await fetch(`${server.url}/start`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    expect(res.status).toBe(200);
    // As at the simulator's time 0, the quota is whole: the first update of the load goes through
    // at once (in the stock load's window it would wait most of 86 400 scenario s, over 800 real s).
    await adjust(server.url, 'SKU-1', 'load-1', 2);
    expect(await server.service.settle(5_000)).toBe(true);
    const a = await audit(server.url);
    expect(a.channels['woo']).toMatchObject({ calls: 1, throttled: 0 });
  });
});

describe('invsim serve: without /start, the scenario clock starts at the first order', () => {
  it('redrives the DLQ every redriveDlqEveryS counted from the first order, as the simulator counts from its start', async () => {
    server = await startTestServer(getScenario(file, 'redrive'), { faults: true, speedup: 100 });
    await adjust(server.url, 'SKU-1', 'load-1', 5);
    expect(await server.service.settle(5_000)).toBe(true);
    // 25 scenario seconds pass before the first order: a cadence counted from the start would
    // redrive at 30 s, 5 s after the order; counted from the order, 10 s after it.
    await new Promise((r) => setTimeout(r, 250));
    await postOrder(server.url, 'woo', { mutationId: 'o1', orderId: 'o1', sku: 'SKU-1', quantity: 1 });
    for (let i = 0; i < 300 && (await audit(server.url)).dlq.redriven === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await server.service.settle(5_000)).toBe(true);
    const a = await audit(server.url);
    expect(a.dlq).toMatchObject({ parked: 1, redriven: 1, depth: 0 });
    // The redriven update's propagation latency: from its commit to the redrive 10 s later (a
    // cadence from the start would give 5 s; the next redrive, were this one missed, 20 s). Each
    // real ms the machine is late adds 100 scenario ms, so the bound above is the next redrive.
    expect(a.latencyMsByChannel['woo']!.count).toBe(1);
    expect(a.latencyMsByChannel['woo']!.max).toBeGreaterThan(9_000);
    expect(a.latencyMsByChannel['woo']!.max).toBeLessThan(19_000);
  });
});

describe('invsim serve --storefront', () => {
  it("takes no order its channel's listing cannot show, and counts a lost sale when the source of truth had the units", async () => {
    server = await startTestServer(getScenario(file, 'slow-woo'), { faults: false, storefront: true });
    await adjust(server.url, 'SKU-1', 'load-1', 1);
    expect(await server.service.settle(10_000)).toBe(true);
    // The listing shows 1: two units cannot be bought; one can.
    expect((await postOrder(server.url, 'woo', { mutationId: 'o1', orderId: 'o1', sku: 'SKU-1', quantity: 2 })).body).toEqual({ status: 'rejected', reason: 'not_listed' });
    expect((await postOrder(server.url, 'woo', { mutationId: 'o2', orderId: 'o2', sku: 'SKU-1', quantity: 1 })).body).toMatchObject({ status: 'applied', quantity: 0 });
    expect(await server.service.settle(10_000)).toBe(true);
    // A restock reaches the listing 2 s later: a customer meanwhile finds 0 listed while 5 are in stock.
    await adjust(server.url, 'SKU-1', 'restock-1', 5);
    expect((await postOrder(server.url, 'woo', { mutationId: 'o3', orderId: 'o3', sku: 'SKU-1', quantity: 1 })).body).toEqual({ status: 'rejected', reason: 'not_listed' });
    // A redelivery of an order not taken changes nothing.
    expect((await postOrder(server.url, 'woo', { mutationId: 'o3', orderId: 'o3', sku: 'SKU-1', quantity: 1 })).body).toEqual({ status: 'duplicate' });
    expect(await server.service.settle(10_000)).toBe(true);
    const a = await audit(server.url);
    expect(a.storefront).toBe(true);
    expect(a.orders).toMatchObject({ distinct: 3, applied: 1, rejected: 0, notListed: 2, lostSales: 1, pending: 0, duplicates: 1 });
    expect(a.lostSalesByChannel).toEqual({ woo: 1 });
    expect(a.oversells).toBe(0);
    expect(a.integrityViolations).toBe(0);
  });

  it('tells apart a lost sale counted only because an order taken earlier still waits for its commit', async () => {
    // The store holds one order's commit until the test lets it go: a service too slow to answer.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = idempotencyKey('order', 'woo', 'o1');
    const store = memoryStoreWithCommit('memory-holding-o1', async (commit, request, nowMs) => {
      if (request.mutationId === held) await gate;
      return commit(request, nowMs);
    });
    server = await startTestServer(getScenario(file, 'slow-woo'), { faults: false, storefront: true, store });
    await adjust(server.url, 'SKU-1', 'load-1', 1);
    expect(await server.service.settle(10_000)).toBe(true);
    // o1 takes the listed unit; its commit waits. o2 finds 0 listed while the source still counts the unit o1 took.
    const first = postOrder(server.url, 'woo', { mutationId: 'o1', orderId: 'o1', sku: 'SKU-1', quantity: 1 });
    for (let i = 0; i < 500 && (await audit(server.url)).orders.distinct === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await postOrder(server.url, 'woo', { mutationId: 'o2', orderId: 'o2', sku: 'SKU-1', quantity: 1 })).body).toEqual({ status: 'rejected', reason: 'not_listed' });
    release();
    expect((await first).body).toMatchObject({ status: 'applied', quantity: 0 });
    expect(await server.service.settle(10_000)).toBe(true);
    // A restock reaches the listing 2 s later: o3 finds 0 listed while 5 are in stock and nothing waits.
    await adjust(server.url, 'SKU-1', 'restock-1', 5);
    expect((await postOrder(server.url, 'woo', { mutationId: 'o3', orderId: 'o3', sku: 'SKU-1', quantity: 1 })).body).toEqual({ status: 'rejected', reason: 'not_listed' });
    expect(await server.service.settle(10_000)).toBe(true);
    const a = await audit(server.url);
    expect(a.orders).toMatchObject({ distinct: 3, applied: 1, notListed: 2, lostSales: 2, lostSalesWhileOrdersWaited: 1, pending: 0 });
    expect(a.integrityViolations).toBe(0);
  });
});

describe('/audit freshness', () => {
  it("integrates each stale stretch exactly as the simulator does: a stretch of L costs L²/2M of confidence", async () => {
    server = await startTestServer(getScenario(file, 'slow-woo'), { faults: false });
    await adjust(server.url, 'SKU-1', 'load-1', 4);
    await adjust(server.url, 'SKU-2', 'load-2', 4);
    expect(await server.service.settle(10_000)).toBe(true);
    // The first order opens the measured window; its own sale keeps the listing equal to the source.
    await postOrder(server.url, 'woo', { mutationId: 'o1', orderId: 'o1', sku: 'SKU-1', quantity: 1 });
    expect(await server.service.settle(10_000)).toBe(true);
    const before = (await audit(server.url)).freshness.integrated;
    expect(before.fromS).not.toBeNull();
    // A restock makes the listing of SKU-2 stale until the 2 s latency has passed.
    const restockAt = performance.now();
    await adjust(server.url, 'SKU-2', 'restock-2', 3);
    expect(await server.service.settle(10_000)).toBe(true);
    const staleMs = performance.now() - restockAt;
    const full = await audit(server.url);
    const a = full.freshness.integrated;
    // The stock's propagation came before the window and is dropped, as the simulator starts listed:
    // what remains is the order's update and the restock's.
    expect(full.latencyMsByChannel['woo']!.count).toBe(2);
    expect(full.channels['woo']!.itemsSent).toBe(2);
    const listings = 2;
    const windowMs = a.windowS * 1000;
    const M = 30_000;
    // The stretch lasted about 2 s (what the wait saw bounds it from above).
    const lossAt = (L: number): number => (L * L) / (2 * M);
    const meanAt = (L: number): number => 1 - lossAt(L) / (listings * windowMs);
    expect(a.meanConfidence!).toBeLessThanOrEqual(meanAt(2_000) + 1e-6);
    expect(a.meanConfidence!).toBeGreaterThanOrEqual(meanAt(staleMs) - 1e-6);
    expect(a.invisibleFraction).toBe(0);
    expect(a.belowMinConfidenceFraction).toBe(0);
  });
});
