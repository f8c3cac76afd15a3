// Proves that the reference service keeps the engine's guarantees over real HTTP: 500 concurrent
// signed 1-unit orders on a SKU holding 50 (fetch + Promise.all, three channels, the flash-sale
// scenario's four racing processor workers and its channel faults) apply exactly 50 and reject
// 450, with no integrity violation; replaying all 500 answers 500 duplicates and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adjust, audit, inventory, postOrder, shippedScenario, startTestServer, type TestServer } from './helpers.js';

const ORDERS = 500;
const STOCK = 50;
const SKU = 'HOT-1';

describe('500 concurrent orders on 50 units', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(shippedScenario('flash-sale'));
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 2_000 });
  });

  it('applies exactly 50, rejects 450, and a full replay is 500 duplicates that change nothing', async () => {
    const stocked = await adjust(server.url, SKU, 'stock-load-1', STOCK);
    expect(stocked).toMatchObject({ status: 'applied', quantity: STOCK, version: 1 });
    const channels = server.service.channelIds;
    const orders = Array.from({ length: ORDERS }, (_, n) => ({
      channel: channels[n % channels.length]!,
      order: { mutationId: `order-${n}`, orderId: `order-${n}`, sku: SKU, quantity: 1 },
    }));

    const started = performance.now();
    const first = await Promise.all(orders.map(({ channel, order }) => postOrder(server.url, channel, order)));
    const elapsedS = (performance.now() - started) / 1000;
    process.stderr.write(`500 concurrent orders: ${elapsedS.toFixed(2)} s, ${(ORDERS / elapsedS).toFixed(0)} requests/s\n`);

    expect(first.every((r) => r.status === 200)).toBe(true);
    const applied = first.filter((r) => r.body.status === 'applied');
    const rejected = first.filter((r) => r.body.status === 'rejected');
    expect(applied).toHaveLength(STOCK);
    expect(rejected).toHaveLength(ORDERS - STOCK);
    expect(rejected.every((r) => r.body.reason === 'insufficient_stock' && r.body.quantity === 0)).toBe(true);
    // Each applied order left a distinct level 49..0: no two read the same version and both won.
    expect(applied.map((r) => r.body.quantity).sort((a, b) => a! - b!)).toEqual(Array.from({ length: STOCK }, (_, i) => i));

    const after = await inventory(server.url, SKU);
    expect(after.body).toMatchObject({ sku: SKU, quantity: 0, version: 1 + STOCK });
    const a1 = await audit(server.url);
    expect(a1.orders).toMatchObject({ received: ORDERS, distinct: ORDERS, applied: STOCK, rejected: ORDERS - STOCK, duplicates: 0, pending: 0 });
    expect(a1.orders.rejectedByReason).toEqual({ insufficient_stock: ORDERS - STOCK });
    expect(a1.integrityViolations).toBe(0);
    expect(a1.violations).toEqual([]);
    expect(a1.settled || a1.orders.pending === 0).toBe(true);

    const replayStarted = performance.now();
    const replay = await Promise.all(orders.map(({ channel, order }) => postOrder(server.url, channel, order)));
    const replayS = (performance.now() - replayStarted) / 1000;
    process.stderr.write(`500 concurrent replays: ${replayS.toFixed(2)} s, ${(ORDERS / replayS).toFixed(0)} requests/s\n`);
    expect(replay.every((r) => r.status === 200 && r.body.status === 'duplicate')).toBe(true);

    const afterReplay = await inventory(server.url, SKU);
    expect(afterReplay.body.quantity).toBe(0);
    expect(afterReplay.body.version).toBe(1 + STOCK);
    const a2 = await audit(server.url);
    expect(a2.orders).toMatchObject({ received: 2 * ORDERS, distinct: ORDERS, applied: STOCK, rejected: ORDERS - STOCK, duplicates: ORDERS });
    expect(a2.oversells).toBe(a1.oversells);
    expect(a2.integrityViolations).toBe(0);

    // Once propagation settles, the end-to-end level check has run too, and still finds nothing.
    expect(await server.service.settle(30_000)).toBe(true);
    const a3 = await audit(server.url);
    expect(a3.settled).toBe(true);
    expect(a3.integrityViolations).toBe(0);
  });
});
