// Proves the Shopify twin speaks the Admin GraphQL inventory subset well enough for Shopify's own
// npm client, and that invsim's Shopify connector pushes, conflicts, throttles and takes signed
// orders/create webhooks through it, all over real HTTP on 127.0.0.1 with a compressed clock
// (speedup 100): the restore rate on the wire is per real second, and the connector at the same
// speedup gives the engine its throttle wait in scenario time.
import { createAdminApiClient } from '@shopify/admin-api-client';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { createShopifyConnector } from '../../src/connectors/shopify.js';
import { NO_FAULTS } from '../helpers/no-faults.js';
import { RandomStreams } from '../../src/model/random.js';
import { effectivePreset } from '../../src/scenarios/compile.js';
import { TwinChannel } from '../../src/twins/channel.js';
import { createShopifyTwin } from '../../src/twins/shopify.js';

const faults = NO_FAULTS;
const credentials = { accessToken: 'shpat_twin', secret: 'app-secret', account: 'twin-shop' };
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function twin(overrides: Record<string, unknown> = {}, webhookUrl?: string) {
  const time = new RealTimeSource({ speedup: 100 });
  const preset = effectivePreset('shopify-graphql', { latency: { kind: 'fixed', ms: 1 }, ...overrides });
  const channel = new TwinChannel({
    id: 'shopify',
    preset,
    time,
    rng: new RandomStreams(1).stream('channel:shopify'),
    faults,
    observer: { listingChanged: () => undefined, purchase: () => undefined, apiCall: () => undefined },
    catalog: [
      { sku: 'SKU-01', quantity: 5 },
      { sku: 'SKU-02', quantity: 7 },
      { sku: 'SKU-03', quantity: 0 },
    ],
  });
  const protocol = createShopifyTwin({ channel, credentials, time, webhookUrl, log: () => undefined, rng: new RandomStreams(1).stream('twin:shopify:webhooks') });
  const app = fastify();
  protocol.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  closers.push(() => app.close(), () => protocol.close(), () => Promise.resolve(time.dispose()));
  const baseUrl = `http://127.0.0.1:${port}`;
  return { channel, protocol, baseUrl, time };
}

function shopifyClient(baseUrl: string, token = credentials.accessToken) {
  return createAdminApiClient({
    storeDomain: 'twin-shop.myshopify.com',
    apiVersion: '2025-01',
    accessToken: token,
    customFetchApi: (url, init) => fetch(String(url).replace(/^https:\/\/twin-shop\.myshopify\.com/, baseUrl), init),
  });
}

const SET = `mutation set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange item { id sku } } } userErrors { field message code } }
}`;

describe('shopify twin with @shopify/admin-api-client', () => {
  it('sets quantities by compare-and-set and refuses a stale compare', async () => {
    const { channel, baseUrl } = await twin();
    const client = shopifyClient(baseUrl);
    const input = (cmp: number) => ({ name: 'available', reason: 'correction', quantities: [{ inventoryItemId: 'gid://shopify/InventoryItem/1', locationId: 'gid://shopify/Location/1', quantity: 9, compareQuantity: cmp }] });
    const ok = await client.request(SET, { variables: { input: input(5) } });
    expect(ok.data.inventorySetQuantities.userErrors).toEqual([]);
    expect(ok.data.inventorySetQuantities.inventoryAdjustmentGroup.changes[0]).toMatchObject({ name: 'available', delta: 4, quantityAfterChange: 9, item: { sku: 'SKU-01' } });
    // The preset's 50 points per scenario second are 5 000 per real second at speedup 100.
    expect(ok.extensions?.cost).toMatchObject({ throttleStatus: { maximumAvailable: 1000, restoreRate: 5000 } });
    expect(channel.quantityOf('SKU-01')).toBe(9);
    const stale = await client.request(SET, { variables: { input: input(5) } });
    expect(stale.data.inventorySetQuantities.userErrors[0].code).toBe('COMPARE_QUANTITY_STALE');
    expect(channel.quantityOf('SKU-01')).toBe(9);
  });

  it('reads inventory items back by SKU', async () => {
    const { baseUrl } = await twin();
    const r = await shopifyClient(baseUrl).request(`{ inventoryItems(first: 5, query: "sku:SKU-02") { nodes { id sku inventoryLevel(locationId: "gid://shopify/Location/1") { quantities(names: ["available"]) { name quantity } } } pageInfo { hasNextPage endCursor } } }`);
    expect(r.data.inventoryItems.nodes).toEqual([{ id: 'gid://shopify/InventoryItem/2', sku: 'SKU-02', inventoryLevel: { quantities: [{ name: 'available', quantity: 7 }] } }]);
    expect(r.data.inventoryItems.pageInfo.hasNextPage).toBe(false);
  });

  it('answers THROTTLED with throttleStatus once the bucket is spent', async () => {
    const { baseUrl } = await twin({ rateLimits: [{ kind: 'cost-bucket', capacityPoints: 20, restorePerS: 1, costPerRequest: 10 }] });
    const client = shopifyClient(baseUrl);
    const q = `{ locations(first: 1) { nodes { id } } }`;
    await client.request(q);
    await client.request(q);
    const res = await fetch(`${baseUrl}/admin/api/2025-01/graphql.json`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': credentials.accessToken }, body: JSON.stringify({ query: q }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[]; extensions: { cost: { throttleStatus: { maximumAvailable: number; currentlyAvailable: number } } } };
    expect(body.errors[0]?.extensions.code).toBe('THROTTLED');
    expect(body.extensions.cost.throttleStatus.maximumAvailable).toBe(20);
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThan(10);
  });

  it('answers 401 to a bad token, errors to an unknown field, 400 to malformed JSON', async () => {
    const { baseUrl } = await twin();
    const post = (body: string, token = credentials.accessToken) => fetch(`${baseUrl}/admin/api/2025-01/graphql.json`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': token }, body });
    const bad = await post(JSON.stringify({ query: '{ shop { name } }' }), 'wrong');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    const unknown = await shopifyClient(baseUrl).request('{ products(first: 1) { nodes { id } } }');
    expect(unknown.errors?.graphQLErrors?.length ?? 0).toBeGreaterThan(0);
    const malformed = await post('{not json');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toHaveProperty('errors');
  });
});

const connectorFor = (baseUrl: string) => createShopifyConnector({ channel: 'shopify', dialect: 'shopify', baseUrl, ...credentials });

describe('shopify connector against the twin', () => {

  it('pushes, batch-pushes, conflicts after a sale, reads back', async () => {
    const { channel, baseUrl } = await twin();
    const c = connectorFor(baseUrl);
    await c.prepare?.(['SKU-01', 'SKU-02', 'SKU-03']);
    expect(await c.client.pushListing({ sku: 'SKU-01', quantity: 4, version: 1, compareQuantity: 5 })).toEqual({ ok: true });
    expect(await c.client.batch?.push([{ sku: 'SKU-02', quantity: 3, version: 2, compareQuantity: 7 }, { sku: 'SKU-03', quantity: 8, version: 2, compareQuantity: 0 }])).toEqual({ ok: true });
    expect(channel.quantityOf('SKU-03')).toBe(8);
    expect(channel.buy('SKU-01', 1)).toBe(true);
    expect(await c.client.pushListing({ sku: 'SKU-01', quantity: 2, version: 3, compareQuantity: 4 })).toMatchObject({ ok: false, error: 'conflict' });
    expect(await c.client.readListing('SKU-01')).toEqual({ quantity: 3, version: 1 });
    expect(await c.client.readListing('SKU-02')).toEqual({ quantity: 3, version: 2 });
  });

  it('at speedup 100 sends restoreRate per real second, and the connector waits in scenario time', async () => {
    // 0.001 points per scenario second: 0.1 per real second; no point comes back during the test (10 real s each).
    const { baseUrl } = await twin({ rateLimits: [{ kind: 'cost-bucket', capacityPoints: 30, restorePerS: 0.001, costPerRequest: 10 }] });
    const first = await shopifyClient(baseUrl).request(`{ locations(first: 1) { nodes { id } } }`);
    expect(first.extensions?.cost).toMatchObject({ requestedQueryCost: 10, throttleStatus: { maximumAvailable: 30, currentlyAvailable: 20, restoreRate: 0.1 } });
    const engine = createShopifyConnector({ channel: 'shopify', dialect: 'shopify', baseUrl, ...credentials, speedup: 100 });
    // locations, then the one page of items: the bucket is empty, the push is refused.
    await engine.prepare?.(['SKU-01']);
    // 10 points missing at 0.1 per real second: 100 real s (what a wall-clock client waits), and
    // 10 000 scenario s for the engine, what the channel model needs at 0.001 per scenario second.
    expect(await engine.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1, compareQuantity: 5 })).toEqual({ ok: false, error: 'throttled', retryAfterMs: 10_000_000 });
  });

  it('maps THROTTLED to throttled with a wait from throttleStatus', async () => {
    const { baseUrl } = await twin({ rateLimits: [{ kind: 'cost-bucket', capacityPoints: 20, restorePerS: 10, costPerRequest: 10 }] });
    const c = connectorFor(baseUrl);
    await c.prepare?.(['SKU-01']);
    // prepare spent the bucket (locations + one page); the push is refused.
    const r = await c.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1, compareQuantity: 5 });
    expect(r).toMatchObject({ ok: false, error: 'throttled' });
    expect(r.ok ? 0 : (r.retryAfterMs ?? 0)).toBeGreaterThan(0);
  });
});

describe('shopify webhooks', () => {
  it('delivers a signed orders/create, retries after a 500 with the same webhook id, and the intake verifies it', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
    const receiver: FastifyInstance = fastify();
    receiver.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_r, b, done) => done(null, b));
    receiver.post('/hooks', async (req, reply) => {
      received.push({ headers: req.headers, body: req.body as Buffer });
      return reply.code(received.length === 1 ? 500 : 200).send('');
    });
    await receiver.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => receiver.close());
    const addr = receiver.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const { protocol, baseUrl, time } = await twin({
      orderNotification: { mode: 'webhook', delay: { kind: 'fixed', ms: 10 }, duplicateRate: 0, reorderWindowMs: 0, maxDeliveryAttempts: 3, retryWindowS: 3 },
    });
    const c = connectorFor(baseUrl);
    await c.subscribe?.(`http://127.0.0.1:${port}/hooks`);
    protocol.orderPlaced({ orderId: 'o1', number: 1, channel: 'shopify', sku: 'SKU-01', units: 2, placedAtMs: time.nowMs() });
    for (let i = 0; i < 200 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received.length).toBe(2);
    const [first, second] = received;
    expect(first!.headers['x-shopify-webhook-id']).toBe(second!.headers['x-shopify-webhook-id']);
    expect(second!.headers['x-shopify-topic']).toBe('orders/create');
    const parsed = c.webhook!.receive(second!.headers, second!.body);
    expect(parsed).toMatchObject({ ok: true, orders: [{ lines: [{ sku: 'SKU-01', quantity: 2 }] }] });
    const tampered = Buffer.from(second!.body.toString('utf8').replace('"quantity":2', '"quantity":20'));
    expect(c.webhook!.receive(second!.headers, tampered)).toMatchObject({ ok: false, status: 401 });
    expect(protocol.webhookStats()).toMatchObject({ attempts: 2, failed: 1, abandoned: 0, pending: 0 });
  });
});
