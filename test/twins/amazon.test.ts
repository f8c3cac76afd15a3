// Proves the Amazon twin speaks SP-API as the published SDK clients expect (the generated
// @sp-api-sdk ListingsItemsApi / OrdersApi, pointed at the twin with basePath and an axios
// instance carrying x-amz-access-token), that a PATCH is ACCEPTED now and applied after the
// preset's apply delay, that refusals carry Amazon's statuses and bodies (the Orders API's 503 in
// an outage included), and that the connector pushes, reads, maps throttling and polls each order
// exactly once. The twins run at speedup 100: x-amzn-RateLimit-Limit is requests per real second
// (100 times the scenario's), and the connector at the same speedup gives the engine the
// scenario-time wait of one token.
import { ListingsItemsApi } from '@sp-api-sdk/listings-items-api-2021-08-01';
import { OrdersApi } from '@sp-api-sdk/orders-api-v0';
import axios from 'axios';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { AMAZON_MARKETPLACE_ID, createAmazonConnector } from '../../src/connectors/amazon.js';
import type { ChannelFaults } from '../../src/model/channel.js';
import { RandomStreams } from '../../src/model/random.js';
import { effectivePreset } from '../../src/scenarios/compile.js';
import { createAmazonTwin } from '../../src/twins/amazon.js';
import { TwinChannel, type TwinObserver } from '../../src/twins/channel.js';
import type { TwinProtocol } from '../../src/twins/protocol.js';
import { NO_FAULTS } from '../helpers/no-faults.js';

const TOKEN = 'Atza|test-token';
const SELLER = 'A1SELLER';
const open: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

async function start(overrides: Record<string, unknown> = {}, faults: ChannelFaults = NO_FAULTS) {
  const time = new RealTimeSource({ speedup: 100 });
  const calls: string[] = [];
  const observer: TwinObserver = { listingChanged: () => {}, purchase: () => {}, apiCall: (_c, outcome) => calls.push(outcome) };
  const channel = new TwinChannel({
    id: 'amazon',
    preset: effectivePreset('amazon-listings', { applyDelay: { kind: 'fixed', ms: 2000 }, latency: { kind: 'fixed', ms: 5 }, errorRate5xx: 0, ...overrides }),
    time,
    rng: new RandomStreams(1).stream('channel:amazon'),
    faults,
    observer,
    catalog: [{ sku: 'SKU-01', quantity: 5 }, { sku: 'SKU-02', quantity: 7 }],
  });
  const protocol: TwinProtocol = createAmazonTwin({ channel, credentials: { accessToken: TOKEN, secret: 's', account: SELLER }, time, webhookUrl: undefined, log: () => {} });
  const app = fastify();
  protocol.register(app);
  open.push(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { channel, protocol, url, time, calls };
}

const sleepReal = (ms: number) => new Promise((r) => setTimeout(r, ms));
const patchBody = (quantity: unknown) => ({ productType: 'PRODUCT', patches: [{ op: 'replace' as const, path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }] });

describe('amazon twin', () => {
  it('accepts a PATCH from the SP-API SDK at once and applies it after the apply delay', async () => {
    const { channel, url } = await start();
    const api = new ListingsItemsApi(undefined, url, axios.create({ headers: { 'x-amz-access-token': TOKEN } }));
    const res = await api.patchListingsItem({ sellerId: SELLER, sku: 'SKU-01', marketplaceIds: [AMAZON_MARKETPLACE_ID], body: patchBody(42) });
    expect(res.data.status).toBe('ACCEPTED');
    expect(res.data.submissionId).toBeTruthy();
    // The preset's 5 requests per scenario second are 500 per real second at speedup 100.
    expect(res.headers['x-amzn-ratelimit-limit']).toBe('500');
    expect(channel.quantityOf('SKU-01')).toBe(5);
    await sleepReal(60); // 2000 scenario ms at speedup 100 is 20 real ms
    expect(channel.quantityOf('SKU-01')).toBe(42);
    const got = await api.getListingsItem({ sellerId: SELLER, sku: 'SKU-01', marketplaceIds: [AMAZON_MARKETPLACE_ID], includedData: ['fulfillmentAvailability'] });
    expect(got.data.fulfillmentAvailability?.[0]?.quantity).toBe(42);
  });

  it('answers 429 QuotaExceeded with x-amzn-RateLimit-Limit when the bucket is empty', async () => {
    const { url } = await start({ rateLimits: [{ kind: 'token-bucket', ratePerS: 0.01, burst: 1 }] });
    const send = () => fetch(`${url}/listings/2021-08-01/items/${SELLER}/SKU-01?marketplaceIds=${AMAZON_MARKETPLACE_ID}`, { method: 'PATCH', headers: { 'x-amz-access-token': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(patchBody(3)) });
    expect((await send()).status).toBe(200);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-amzn-ratelimit-limit')).toBe('1');
    const body = (await refused.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]?.code).toBe('QuotaExceeded');
  });

  it('refuses a bad token, another seller, and malformed bodies', async () => {
    const { url, channel } = await start();
    const patch = (headers: Record<string, string>, body: string, seller = SELLER) => fetch(`${url}/listings/2021-08-01/items/${seller}/SKU-01`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...headers }, body });
    const bad = await patch({ 'x-amz-access-token': 'wrong' }, JSON.stringify(patchBody(1)));
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('Unauthorized');
    expect((await patch({}, JSON.stringify(patchBody(1)))).status).toBe(403);
    expect((await patch({ 'x-amz-access-token': TOKEN }, JSON.stringify(patchBody(1)), 'OTHER')).status).toBe(403);
    expect((await patch({ 'x-amz-access-token': TOKEN }, JSON.stringify({ patches: [] }))).status).toBe(400);
    expect((await patch({ 'x-amz-access-token': TOKEN }, JSON.stringify(patchBody(-1)))).status).toBe(400);
    expect((await patch({ 'x-amz-access-token': TOKEN }, JSON.stringify(patchBody('x')))).status).toBe(400);
    await sleepReal(60);
    expect(channel.quantityOf('SKU-01')).toBe(5);
  });

  it('issues LWA tokens for refresh_token and client_credentials grants', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=Atzr|x&client_id=a&client_secret=b' });
    expect(await res.json()).toMatchObject({ access_token: TOKEN, token_type: 'bearer', expires_in: 3600 });
    const cc = await fetch(`${url}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
    expect(((await cc.json()) as { access_token: string }).access_token).toBe(TOKEN);
    expect((await fetch(`${url}/auth/o2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"password"}' })).status).toBe(400);
  });

  it('serves the order book to the Orders API SDK, and the connector polls each order once', async () => {
    const { url, protocol, time } = await start();
    const at = time.nowMs();
    protocol.orderPlaced({ orderId: 'o1', number: 1, channel: 'amazon', sku: 'SKU-01', units: 2, placedAtMs: at });
    protocol.orderPlaced({ orderId: 'o2', number: 2, channel: 'amazon', sku: 'SKU-02', units: 1, placedAtMs: at });
    const orders = new OrdersApi(undefined, url, axios.create({ headers: { 'x-amz-access-token': TOKEN } }));
    const list = await orders.getOrders({ marketplaceIds: [AMAZON_MARKETPLACE_ID], createdAfter: new Date(0).toISOString() });
    // getOrders' 0.0167 and getOrderItems' 0.5 requests per second, per real second at speedup 100.
    expect(list.headers['x-amzn-ratelimit-limit']).toBe('1.67');
    expect(list.data.payload?.Orders.map((o) => o.AmazonOrderId)).toEqual(['111-0000000-0000001', '111-0000000-0000002']);
    const items = await orders.getOrderItems({ orderId: '111-0000000-0000001' });
    expect(items.data.payload?.OrderItems[0]).toMatchObject({ SellerSKU: 'SKU-01', QuantityOrdered: 2 });
    expect(items.headers['x-amzn-ratelimit-limit']).toBe('50');

    const connector = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: url, accessToken: TOKEN, secret: 's', account: SELLER, pollIntervalMs: 50 });
    expect(connector.poller?.intervalMs).toBe(50);
    const first = await connector.poller!.poll();
    expect(first).toEqual([
      { orderId: '111-0000000-0000001', lines: [{ sku: 'SKU-01', quantity: 2 }] },
      { orderId: '111-0000000-0000002', lines: [{ sku: 'SKU-02', quantity: 1 }] },
    ]);
    // A third order at the same instant as the cursor: tied timestamps must not hide it nor repeat the others.
    protocol.orderPlaced({ orderId: 'o3', number: 3, channel: 'amazon', sku: 'SKU-01', units: 1, placedAtMs: at });
    const second = await connector.poller!.poll();
    expect(second.map((o) => o.orderId)).toEqual(['111-0000000-0000003']);
    expect(await connector.poller!.poll()).toEqual([]);
  });

  it('refuses the Orders API with 503 during an outage, and the connector polls what was placed in it once it ends', async () => {
    let down = true;
    const { url, protocol, time } = await start({}, { ...NO_FAULTS, active: () => true, inOutage: () => down });
    protocol.orderPlaced({ orderId: 'o1', number: 1, channel: 'amazon', sku: 'SKU-01', units: 2, placedAtMs: time.nowMs() });
    const get = (path: string) => fetch(`${url}${path}`, { headers: { 'x-amz-access-token': TOKEN } });
    const orders = await get(`/orders/v0/orders?MarketplaceIds=${AMAZON_MARKETPLACE_ID}&CreatedAfter=${new Date(0).toISOString()}`);
    expect(orders.status).toBe(503);
    expect(((await orders.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('ServiceUnavailable');
    expect((await get('/orders/v0/orders/111-0000000-0000001/orderItems')).status).toBe(503);
    const connector = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: url, accessToken: TOKEN, secret: 's', account: SELLER, pollIntervalMs: 50 });
    await expect(connector.poller!.poll()).rejects.toThrow(/HTTP 503/);
    down = false;
    expect(await connector.poller!.poll()).toEqual([{ orderId: '111-0000000-0000001', lines: [{ sku: 'SKU-01', quantity: 2 }] }]);
  });

  it('connector: pushes, reads back with the acknowledged version, maps 429 to throttled', async () => {
    const { url } = await start();
    const connector = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: url, accessToken: TOKEN, secret: 's', account: SELLER });
    expect(await connector.client.readListing('SKU-02')).toEqual({ quantity: 7, version: -1 });
    expect(await connector.client.pushListing({ sku: 'SKU-02', quantity: 9, version: 4 })).toEqual({ ok: true });
    await sleepReal(60);
    expect(await connector.client.readListing('SKU-02')).toEqual({ quantity: 9, version: 4 });
    expect(await connector.client.readListing('NOPE')).toBeUndefined();
    expect((await connector.client.pushListing({ sku: 'NOPE', quantity: 1, version: 1 })).ok).toBe(false);

    // One token every 200 scenario s, 2 real s: none comes back during the test.
    const slow = await start({ rateLimits: [{ kind: 'token-bucket', ratePerS: 0.005, burst: 1 }] });
    const c2 = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: slow.url, accessToken: TOKEN, secret: 's', account: SELLER, speedup: 100 });
    expect((await c2.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).ok).toBe(true);
    // The wire says 0.5 per real second; at speedup 100 that is 0.005 per scenario second, a token every 200 000 scenario ms.
    expect(await c2.client.pushListing({ sku: 'SKU-01', quantity: 2, version: 2 })).toMatchObject({ ok: false, error: 'throttled', retryAfterMs: 200_000 });
    // A client on the wall clock reads the same header as a token every 2 000 real ms.
    const wallClock = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: slow.url, accessToken: TOKEN, secret: 's', account: SELLER });
    expect(await wallClock.client.pushListing({ sku: 'SKU-01', quantity: 3, version: 3 })).toMatchObject({ ok: false, error: 'throttled', retryAfterMs: 2_000 });
    const bad = createAmazonConnector({ channel: 'amazon', dialect: 'amazon', baseUrl: url, accessToken: 'wrong', secret: 's', account: SELLER });
    expect(await bad.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toMatchObject({ ok: false, error: 'rejected' });
  });
});
