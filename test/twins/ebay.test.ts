// Proves the eBay twin answers the published `ebay-api` client (pointed at the twin by its
// per-API `api({schema, subdomain, tld})` override, with a bearer token set through OAuth2), that
// bulk updates are capped at 25 and refused per item by the per-listing revision quota, that
// refusals carry eBay's statuses and error bodies (getOrders' 503 in an outage included), and that
// the connector pushes in batches, reads back, maps throttling and polls each order exactly once.
// The clock runs at speedup 100: a 429's Retry-After is real seconds (with the exact real ms
// beside it), which the connector's mapping at the same speedup turns back into the channel
// model's scenario-time wait.
import eBayApi from 'ebay-api';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { createEbayConnector, ebayResultOf } from '../../src/connectors/ebay.js';
import type { ChannelFaults } from '../../src/model/channel.js';
import { NO_FAULTS } from '../helpers/no-faults.js';
import { RandomStreams } from '../../src/model/random.js';
import { effectivePreset } from '../../src/scenarios/compile.js';
import { TwinChannel, type TwinObserver } from '../../src/twins/channel.js';
import { createEbayTwin } from '../../src/twins/ebay.js';
import type { TwinProtocol } from '../../src/twins/protocol.js';

const TOKEN = 'v^1.1#test';
const open: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

const SKUS = Array.from({ length: 30 }, (_, i) => `SKU-${String(i + 1).padStart(2, '0')}`);


async function start(overrides: Record<string, unknown> = {}, faults: ChannelFaults = NO_FAULTS) {
  const time = new RealTimeSource({ speedup: 100 });
  const observer: TwinObserver = { listingChanged: () => {}, purchase: () => {}, apiCall: () => {} };
  const channel = new TwinChannel({
    id: 'ebay',
    preset: effectivePreset('ebay', { latency: { kind: 'fixed', ms: 5 }, errorRate5xx: 0, ...overrides }),
    time,
    rng: new RandomStreams(1).stream('channel:ebay'),
    faults,
    observer,
    catalog: SKUS.map((sku) => ({ sku, quantity: 5 })),
  });
  const protocol: TwinProtocol = createEbayTwin({ channel, credentials: { accessToken: TOKEN, secret: 's', account: 'seller' }, time, webhookUrl: undefined, log: () => {} });
  const app = fastify();
  protocol.register(app);
  open.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = new URL(url).port;
  const sdk = new eBayApi({ appId: 'app', certId: 'cert', sandbox: false, autoRefreshToken: false });
  sdk.OAuth2.setCredentials(TOKEN);
  // ebay-api builds `${schema}${subdomain}.${tld}`: splitting 127.0.0.1 at its last dot yields the twin's origin.
  const at = { schema: 'http://', subdomain: '127.0.0', tld: `1:${port}` };
  return { channel, protocol, url, time, inventory: sdk.sell.inventory.api(at), fulfillment: sdk.sell.fulfillment.api(at) };
}

const connectorFor = (url: string, accessToken = TOKEN) => createEbayConnector({ channel: 'ebay', dialect: 'ebay', baseUrl: url, accessToken, secret: 's', account: 'seller', pollIntervalMs: 50 });

describe('ebay twin', () => {
  it('applies a bulk update from ebay-api and reads it back with getInventoryItem', async () => {
    const { channel, inventory } = await start();
    const res = (await inventory.bulkUpdatePriceQuantity({ requests: [{ sku: 'SKU-01', shipToLocationAvailability: { quantity: 11 } }, { sku: 'SKU-02', shipToLocationAvailability: { quantity: 0 } }] })) as { responses: { statusCode: number; sku: string }[] };
    expect(res.responses).toMatchObject([{ statusCode: 200, sku: 'SKU-01' }, { statusCode: 200, sku: 'SKU-02' }]);
    expect(channel.quantityOf('SKU-01')).toBe(11);
    expect(channel.quantityOf('SKU-02')).toBe(0);
    const item = (await inventory.getInventoryItem('SKU-01')) as { availability: { shipToLocationAvailability: { quantity: number } } };
    expect(item.availability.shipToLocationAvailability.quantity).toBe(11);
  });

  it('refuses more than 25 requests, malformed bodies and a bad token with eBay error bodies', async () => {
    const { url, channel } = await start();
    const post = (body: unknown, token = TOKEN) => fetch(`${url}/sell/inventory/v1/bulk_update_price_quantity`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const tooMany = await post({ requests: SKUS.slice(0, 26).map((sku) => ({ sku, shipToLocationAvailability: { quantity: 1 } })) });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { errors: { errorId: number; domain: string; category: string }[] }).errors[0]).toMatchObject({ errorId: 25709, category: 'REQUEST' });
    expect(channel.quantityOf('SKU-01')).toBe(5);
    expect((await post({ requests: [{ sku: 'SKU-01' }] })).status).toBe(400);
    expect((await post({ nope: 1 })).status).toBe(400);
    const bad = await post({ requests: [{ sku: 'SKU-01', shipToLocationAvailability: { quantity: 1 } }] }, 'wrong');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { errors: { errorId: number }[] }).errors[0]?.errorId).toBe(1001);
  });

  it('refuses the item whose per-listing revision quota is spent, alone', async () => {
    const { url, channel } = await start({ rateLimits: [{ kind: 'quota', limit: 1_000, periodS: 86_400 }, { kind: 'quota', limit: 1, periodS: 86_400, scope: 'listing' }] });
    const connector = connectorFor(url);
    expect(await connector.client.batch!.push([{ sku: 'SKU-01', quantity: 1, version: 1 }])).toEqual({ ok: true });
    const res = await fetch(`${url}/sell/inventory/v1/bulk_update_price_quantity`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [{ sku: 'SKU-01', shipToLocationAvailability: { quantity: 2 } }, { sku: 'SKU-02', shipToLocationAvailability: { quantity: 3 } }] }),
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as { responses: { statusCode: number; sku: string; errors: { errorId: number }[] }[] };
    expect(body.responses[0]).toMatchObject({ statusCode: 429, sku: 'SKU-01' });
    expect(body.responses[1]).toMatchObject({ statusCode: 200, sku: 'SKU-02' });
    expect(channel.quantityOf('SKU-01')).toBe(1);
    expect(channel.quantityOf('SKU-02')).toBe(3);
    // Through the connector the spent quota is a rejection of that listing, not a channel-wide throttle.
    expect(await connector.client.batch!.push([{ sku: 'SKU-01', quantity: 4, version: 2 }])).toMatchObject({ ok: false, error: 'rejected' });
  });

  it('serves orders to ebay-api getOrders, and the connector polls each order once', async () => {
    const { url, protocol, time, fulfillment } = await start();
    const at = time.nowMs();
    protocol.orderPlaced({ orderId: 'o1', number: 1, channel: 'ebay', sku: 'SKU-01', units: 2, placedAtMs: at });
    protocol.orderPlaced({ orderId: 'o2', number: 2, channel: 'ebay', sku: 'SKU-02', units: 1, placedAtMs: at });
    const page = (await fulfillment.getOrders({ filter: `creationdate:[${new Date(0).toISOString()}..]`, limit: 1 })) as { orders: { orderId: string; lineItems: { sku: string; quantity: number }[] }[]; next?: string; total: number };
    expect(page.total).toBe(2);
    expect(page.orders[0]?.lineItems[0]).toMatchObject({ sku: 'SKU-01', quantity: 2 });
    expect(page.next).toContain('offset=1');

    const connector = connectorFor(url);
    expect(connector.poller?.intervalMs).toBe(50);
    expect((await connector.poller!.poll()).map((o) => o.orderId)).toEqual([page.orders[0]?.orderId, '00-00000-00002']);
    protocol.orderPlaced({ orderId: 'o3', number: 3, channel: 'ebay', sku: 'SKU-03', units: 4, placedAtMs: at });
    expect(await connector.poller!.poll()).toEqual([{ orderId: '00-00000-00003', lines: [{ sku: 'SKU-03', quantity: 4 }] }]);
    expect(await connector.poller!.poll()).toEqual([]);
    expect((await fetch(`${url}/sell/fulfillment/v1/order?limit=201`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(400);
  });

  it('refuses the Fulfillment API with 503 during an outage, and the connector polls what was placed in it once it ends', async () => {
    let down = true;
    const { url, protocol, time } = await start({}, { ...NO_FAULTS, active: () => true, inOutage: () => down });
    protocol.orderPlaced({ orderId: 'o1', number: 1, channel: 'ebay', sku: 'SKU-01', units: 2, placedAtMs: time.nowMs() });
    const refused = await fetch(`${url}/sell/fulfillment/v1/order`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { errors: { errorId: number }[] }).errors[0]?.errorId).toBe(2003);
    const connector = connectorFor(url);
    await expect(connector.poller!.poll()).rejects.toThrow(/HTTP 503/);
    down = false;
    expect(await connector.poller!.poll()).toEqual([{ orderId: '00-00000-00001', lines: [{ sku: 'SKU-01', quantity: 2 }] }]);
  });

  it('at speedup 100 answers a 429 with Retry-After in real seconds, and the mapping gives the engine scenario time', async () => {
    // Every call throttled with a 2 000 scenario ms wait: 20 real ms at speedup 100.
    const { url, inventory } = await start({}, { ...NO_FAULTS, active: () => true, throttleRate: 1, throttleRetryAfterMs: 2_000 });
    let error: unknown;
    try {
      await inventory.getInventoryItem('SKU-01');
    } catch (e) {
      error = e;
    }
    const res = (error as { meta?: { res?: { status: number; headers: Record<string, string> } } }).meta?.res;
    expect(res?.status).toBe(429);
    // Whole seconds round up, never to 0; retry-after-ms carries the real 20 ms.
    expect(res?.headers).toMatchObject({ 'retry-after': '1', 'retry-after-ms': '20' });
    const raw = await fetch(`${url}/sell/inventory/v1/inventory_item/SKU-01`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ebayResultOf(raw.status, raw.headers, 'm', 100)).toEqual({ ok: false, error: 'throttled', retryAfterMs: 2_000, message: 'm' });
  });

  it('connector: batch of 25, readListing version, throttle and token mapping', async () => {
    const { url, channel } = await start();
    const connector = connectorFor(url);
    expect(connector.client.batch?.maxItems).toBe(25);
    expect(await connector.client.readListing('SKU-03')).toEqual({ quantity: 5, version: -1 });
    expect(await connector.client.batch!.push(SKUS.slice(0, 25).map((sku, i) => ({ sku, quantity: i, version: 7 })))).toEqual({ ok: true });
    expect(channel.quantityOf('SKU-25')).toBe(24);
    expect(await connector.client.readListing('SKU-03')).toEqual({ quantity: 2, version: 7 });
    expect(await connector.client.readListing('NOPE')).toBeUndefined();
    expect(await connectorFor(url, 'wrong').client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toMatchObject({ ok: false, error: 'rejected' });

    const tight = await start({ rateLimits: [{ kind: 'quota', limit: 1, periodS: 86_400 }] });
    const c2 = connectorFor(tight.url);
    expect(await c2.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toEqual({ ok: true });
    expect(await c2.client.pushListing({ sku: 'SKU-01', quantity: 2, version: 2 })).toMatchObject({ ok: false, error: 'throttled' });
    const token = await fetch(`${url}/identity/v1/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=x' });
    expect(((await token.json()) as { access_token: string }).access_token).toBe(TOKEN);
  });
});
