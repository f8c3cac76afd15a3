// Proves the service's observable state beyond the happy path: listings propagate to the
// scenario's channels (feed channels later), an order two channels both took on their last unit
// counts as one oversell, a channel that always fails parks its updates in the DLQ, /metrics
// exposes all of it in Prometheus format, and POST /reset starts from nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, adjust, audit, brokenChannelScenario, inventory, postOrder, shippedScenario, startTestServer, type TestServer } from './helpers.js';

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter((s) => s !== '');
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describe('listings, oversells and metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(shippedScenario('flash-sale'), { faults: false });
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 1_000 });
  });

  it('propagates a level to the API channels at once and to the feed channel later', async () => {
    await adjust(server.url, 'LAST-1', 'load-last', 1);
    expect(await server.service.settle(20_000)).toBe(true);
    const view = await inventory(server.url, 'LAST-1');
    expect(view.body).toMatchObject({ sku: 'LAST-1', quantity: 1, version: 1 });
    const byChannel = Object.fromEntries(view.body.channels.map((c) => [c.channel, c]));
    expect(byChannel['shopify']).toMatchObject({ quantity: 1, version: 1, stale: false });
    expect(byChannel['woo']).toMatchObject({ quantity: 1, version: 1, stale: false });
    expect(Date.parse(byChannel['shopify']!.updatedAt!)).toBeGreaterThan(Date.now() - 60_000);
    // Amazon acknowledged the update but applies it minutes later (the preset's feed delay).
    expect(byChannel['amazon']).toMatchObject({ quantity: 0, version: 0, updatedAt: null, stale: true });
  });

  it('counts the second channel selling the last unit as one oversell', async () => {
    const [a, b] = await Promise.all([
      postOrder(server.url, 'shopify', { mutationId: 'last-a', orderId: 'last-a', sku: 'LAST-1', quantity: 1 }),
      postOrder(server.url, 'woo', { mutationId: 'last-b', orderId: 'last-b', sku: 'LAST-1', quantity: 1 }),
    ]);
    expect([a.body.status, b.body.status].sort()).toEqual(['applied', 'rejected']);
    const report = await audit(server.url);
    expect(report.oversells).toBe(1);
    expect(report.oversellsByChannel['shopify']! + report.oversellsByChannel['woo']!).toBe(1);
    // An order on a listing showing 0 is refused too, but no channel would have taken it.
    const c = await postOrder(server.url, 'woo', { mutationId: 'last-c', orderId: 'last-c', sku: 'LAST-1', quantity: 1 });
    expect(c.body).toEqual({ status: 'rejected', reason: 'insufficient_stock', quantity: 0 });
    const after = await audit(server.url);
    expect(after.oversells).toBe(1);
    expect(after.orders.notListed).toBe(1);
  });

  it('exposes per-channel latency histograms, outcomes, oversells, freshness and DLQ depth', async () => {
    await adjust(server.url, 'FRESH-1', 'load-fresh', 4);
    expect(await server.service.settle(20_000)).toBe(true);
    const text = await metrics(server.url);
    expect(sample(text, 'invsim_propagation_latency_seconds_count', { channel: 'shopify' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'invsim_propagation_latency_seconds_bucket', { le: '+Inf', channel: 'woo' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'invsim_mutations_total', { kind: 'order', channel: 'woo', status: 'rejected' })).toBeGreaterThanOrEqual(1);
    expect((sample(text, 'invsim_oversells_total', { channel: 'shopify' }) ?? 0) + (sample(text, 'invsim_oversells_total', { channel: 'woo' }) ?? 0)).toBe(1);
    expect(sample(text, 'invsim_dlq_depth')).toBe(0);
    expect(sample(text, 'invsim_listing_freshness', { channel: 'shopify' })).toBe(1);
    expect(sample(text, 'invsim_listings_stale', { channel: 'amazon' })).toBe(1);
    expect(sample(text, 'invsim_listing_freshness', { channel: 'amazon' })).toBeLessThan(1);
    expect(text).toMatch(/^# TYPE invsim_propagation_latency_seconds histogram$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('POST /reset drops every level, count and metric', async () => {
    const res = await fetch(`${server.url}/reset`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'reset' });
    expect((await inventory(server.url, 'LAST-1')).status).toBe(404);
    const report = await audit(server.url);
    expect(report.orders).toMatchObject({ received: 0, distinct: 0, applied: 0 });
    expect(report.oversells).toBe(0);
    const text = await metrics(server.url);
    expect(sample(text, 'invsim_propagation_latency_seconds_count', { channel: 'shopify' }) ?? 0).toBe(0);
    // The same mutationId is new again after a reset.
    expect(await adjust(server.url, 'LAST-1', 'load-last', 2)).toMatchObject({ status: 'applied', quantity: 2, version: 1 });
  });
});

describe('a channel in an outage', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(brokenChannelScenario(), { faults: true });
  });
  afterAll(async () => {
    await server.close({ drainTimeoutMs: 1_000 });
  });

  it('parks its updates in the DLQ, raises alerts, and the audit and metrics show the depth', async () => {
    // The scenario's fault windows count from the first order (where the simulator's demand starts).
    expect((await postOrder(server.url, 'good', { mutationId: 'first', orderId: 'first', sku: 'NONE', quantity: 1 })).body).toMatchObject({ status: 'rejected' });
    await adjust(server.url, 'X', 'x1', 3);
    await adjust(server.url, 'Y', 'y1', 3);
    expect(await server.service.settle(20_000)).toBe(true);
    const report = await audit(server.url);
    expect(report.dlq).toEqual({ depth: 2, parked: 2, redriven: 0 });
    expect(report.alerts['dlq_parked']).toBe(2);
    expect(report.integrityViolations).toBe(0);
    expect(report.channels['broken']!.failed).toBeGreaterThanOrEqual(4);
    expect(server.alerts.filter((a) => a.kind === 'dlq_parked')).toHaveLength(2);
    const text = await metrics(server.url);
    expect(sample(text, 'invsim_dlq_depth')).toBe(2);
    expect(sample(text, 'invsim_dlq_parked_total', { channel: 'broken' })).toBe(2);
    const view = await inventory(server.url, 'X');
    expect(view.body.channels.find((c) => c.channel === 'good')).toMatchObject({ quantity: 3, stale: false });
    expect(view.body.channels.find((c) => c.channel === 'broken')).toMatchObject({ quantity: 0, stale: true });
  });
});
