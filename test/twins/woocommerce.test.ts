/**
 * Proves the WooCommerce twin speaks REST v3 as the real npm client (@woocommerce/woocommerce-rest-api
 * 1.0.2, OAuth 1.0a over http) expects — SKU lookup, batch updates, the 100-item limit, 401s and
 * Woo's 400 for malformed JSON — that invsim's connector drives it (push, batch, readListing, a
 * 429 mapped to `throttled` with Retry-After; at the twin's speedup the wire's real-time wait
 * becomes the engine's scenario-time one), and that order.created webhooks arrive signed,
 * verify in the connector's intake, fail on a tampered body and are never retried. Each twin is
 * a TwinChannel on a seeded stream behind fastify on 127.0.0.1, its clock 100x compressed.
 */
import WooCommerceRestApiModule from '@woocommerce/woocommerce-rest-api';
import fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { RealTimeSource } from '../../src/adapters/realtime.js';
import { createWooCommerceConnector, oauthSignature, rfc3986 } from '../../src/connectors/woocommerce.js';
import type { ChannelFaults } from '../../src/model/channel.js';
import { NO_FAULTS } from '../helpers/no-faults.js';
import { RandomStreams } from '../../src/model/random.js';
import { effectivePreset } from '../../src/scenarios/compile.js';
import { TwinChannel, type TwinObserver } from '../../src/twins/channel.js';
import type { TwinProtocol } from '../../src/twins/protocol.js';
import { createWooCommerceTwin } from '../../src/twins/woocommerce.js';

// The package's CommonJS build exports the class as `default`; ESM interop may wrap it once more.
interface WooClient {
  get(endpoint: string, params?: Record<string, unknown>): Promise<{ status: number; data: unknown; headers: Record<string, string> }>;
  post(endpoint: string, data: unknown): Promise<{ status: number; data: unknown }>;
}
type WooClientClass = new (options: { url: string; consumerKey: string; consumerSecret: string; version: 'wc/v3'; axiosConfig?: unknown }) => WooClient;
const WooCommerceRestApi = ((WooCommerceRestApiModule as unknown as { default?: unknown }).default ?? WooCommerceRestApiModule) as WooClientClass;

const KEY = 'ck_test_key';
const SECRET = 'cs_test_secret';
const SKUS = Array.from({ length: 120 }, (_, i) => `SKU-${String(i + 1).padStart(2, '0')}`);

interface Twin {
  readonly url: string;
  readonly channel: TwinChannel;
  readonly protocol: TwinProtocol;
  readonly time: RealTimeSource;
  readonly changes: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startTwin(overrides: Record<string, unknown> = {}, webhookUrl?: string, faults: ChannelFaults = NO_FAULTS): Promise<Twin> {
  const time = new RealTimeSource({ speedup: 100 });
  const changes: string[] = [];
  const observer: TwinObserver = {
    listingChanged: (_c, sku, quantity, _at, cause) => void changes.push(`${sku}=${quantity}:${cause}`),
    purchase: () => undefined,
    apiCall: () => undefined,
  };
  // No background 5xx and a short, fixed webhook delay: the tests assert exact outcomes.
  const preset = effectivePreset('woocommerce', {
    errorRate5xx: 0,
    orderNotification: { mode: 'webhook', delay: { kind: 'fixed', ms: 100 }, duplicateRate: 0, reorderWindowMs: 0, maxDeliveryAttempts: 1, retryWindowS: 0 },
    ...overrides,
  });
  const channel = new TwinChannel({
    id: 'woo',
    preset,
    time,
    rng: new RandomStreams(1).stream('channel:woo'),
    faults,
    observer,
    catalog: SKUS.map((sku) => ({ sku, quantity: 5 })),
  });
  const protocol = createWooCommerceTwin({
    channel,
    credentials: { accessToken: KEY, secret: SECRET, account: 'shop.example' },
    time,
    webhookUrl,
    log: () => undefined,
    rng: new RandomStreams(1).stream('twin:woo'),
  });
  const app = fastify();
  protocol.register(app);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(async () => {
    await protocol.close();
    await app.close();
    time.dispose();
  });
  return { url: address, channel, protocol, time, changes };
}

interface Received {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

async function startReceiver(status: number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const app: FastifyInstance = fastify();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/hooks', async (req, reply) => {
    received.push({ headers: req.headers, body: req.body as Buffer });
    return reply.status(status).send('');
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => app.close());
  return { url: `${address}/hooks`, received };
}

async function until(condition: () => boolean, what: string, limitMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function client(url: string, options: { consumerSecret?: string; axiosConfig?: unknown } = {}): WooClient {
  return new WooCommerceRestApi({ url, consumerKey: KEY, consumerSecret: options.consumerSecret ?? SECRET, version: 'wc/v3', axiosConfig: options.axiosConfig });
}

async function failure(p: Promise<unknown>): Promise<{ status: number; data: unknown; headers?: Record<string, string> }> {
  try {
    await p;
  } catch (error) {
    const response = (error as { response?: { status: number; data: unknown; headers: Record<string, string> } }).response;
    if (response !== undefined) return response;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('woocommerce twin with the real npm client (OAuth 1.0a over http)', () => {
  it('lists products by SKU with the pagination headers', async () => {
    const twin = await startTwin();
    const r = await client(twin.url).get('products', { sku: 'SKU-03' });
    expect(r.status).toBe(200);
    expect(r.data).toEqual([{ id: 3, name: 'SKU-03', slug: 'sku-03', type: 'simple', status: 'publish', sku: 'SKU-03', manage_stock: true, stock_quantity: 5, stock_status: 'instock' }]);
    expect(r.headers['x-wp-total']).toBe('1');
    const page = await client(twin.url).get('products', { per_page: 50, page: 3 });
    expect((page.data as unknown[]).length).toBe(20);
    expect(page.headers['x-wp-totalpages']).toBe('3');
  });

  it('applies a batch update, reports an unknown id per item, and refuses more than 100 items with 413', async () => {
    const twin = await startTwin();
    const r = await client(twin.url).post('products/batch', { update: [{ id: 1, stock_quantity: 0 }, { id: 999, stock_quantity: 1 }, { id: 2, stock_quantity: 7 }] });
    expect(r.status).toBe(200);
    const update = (r.data as { update: Record<string, unknown>[] }).update;
    expect(update[0]).toMatchObject({ id: 1, stock_quantity: 0, stock_status: 'outofstock' });
    expect(update[1]).toEqual({ id: 999, error: { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 400 } } });
    expect(twin.channel.quantityOf('SKU-01')).toBe(0);
    expect(twin.channel.quantityOf('SKU-02')).toBe(7);

    const tooMany = Array.from({ length: 101 }, (_, i) => ({ id: i + 1, stock_quantity: 1 }));
    const refused = await failure(client(twin.url).post('products/batch', { update: tooMany }));
    expect(refused.status).toBe(413);
    expect(refused.data).toMatchObject({ code: 'woocommerce_rest_request_entity_too_large', data: { status: 413 } });
    expect(twin.channel.quantityOf('SKU-03')).toBe(5); // nothing applied
  });

  it('answers bad credentials with 401 and a malformed JSON body with 400', async () => {
    const twin = await startTwin();
    const bad = await failure(client(twin.url, { consumerSecret: 'cs_wrong' }).get('products'));
    expect(bad.status).toBe(401);
    expect(bad.data).toEqual({ code: 'woocommerce_rest_authentication_error', message: 'Invalid signature - provided signature does not match.', data: { status: 401 } });
    const none = await fetch(`${twin.url}/wp-json/wc/v3/products`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'woocommerce_rest_cannot_view' });

    // axiosConfig overrides the body (and axios' JSON re-encoding of a string), so the request stays properly signed.
    const malformed = await failure(client(twin.url, { axiosConfig: { data: '{"update": [', transformRequest: [(d: unknown) => d] } }).post('products/batch', {}));
    expect(malformed.status).toBe(400);
    expect(malformed.data).toEqual({ code: 'rest_invalid_json', message: 'Invalid JSON body passed.', data: { status: 400 } });
  });

  it('accepts Basic auth and query-string keys as well', async () => {
    const twin = await startTwin();
    const basic = await fetch(`${twin.url}/wp-json/wc/v3/products/4`, { headers: { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
    const qs = await fetch(`${twin.url}/wp-json/wc/v3/products/4?consumer_key=${KEY}&consumer_secret=nope`);
    expect(qs.status).toBe(401);
  });
});

describe('woocommerce twin OAuth replay protection', () => {
  function signedUrl(base: string, timestampS: number): string {
    const baseUrl = `${base}/wp-json/wc/v3/products/1`;
    const params: [string, string][] = [
      ['oauth_consumer_key', KEY],
      ['oauth_nonce', 'fixednonce'],
      ['oauth_signature_method', 'HMAC-SHA256'],
      ['oauth_timestamp', String(timestampS)],
      ['oauth_version', '1.0'],
    ];
    const signature = oauthSignature({ method: 'GET', baseUrl, params, consumerSecret: SECRET });
    return `${baseUrl}?${[...params, ['oauth_signature', signature]].map(([k, v]) => `${rfc3986(k!)}=${rfc3986(v!)}`).join('&')}`;
  }

  it('refuses a reused nonce and a timestamp outside 15 minutes', async () => {
    const twin = await startTwin();
    const nowS = Math.floor(Date.now() / 1000);
    expect((await fetch(signedUrl(twin.url, nowS))).status).toBe(200);
    const replay = await fetch(signedUrl(twin.url, nowS));
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ message: 'Invalid nonce - nonce has already been used.' });
    const stale = await fetch(signedUrl(twin.url, nowS - 16 * 60));
    expect(await stale.json()).toMatchObject({ code: 'woocommerce_rest_authentication_error', message: 'Invalid timestamp.' });
  });
});

describe('woocommerce connector against the twin', () => {
  const config = (baseUrl: string) => ({ channel: 'woo', dialect: 'woocommerce' as const, baseUrl, accessToken: KEY, secret: SECRET, account: 'shop.example' });

  it('pushes, batches and reads listings back with the acknowledged version', async () => {
    const twin = await startTwin();
    const connector = createWooCommerceConnector(config(twin.url));
    await connector.prepare?.(SKUS.slice(0, 5));
    expect(await connector.client.readListing('SKU-01')).toEqual({ quantity: 5, version: -1 });
    expect(await connector.client.pushListing({ sku: 'SKU-01', quantity: 3, version: 7 })).toEqual({ ok: true });
    expect(await connector.client.readListing('SKU-01')).toEqual({ quantity: 3, version: 7 });
    expect(connector.client.batch?.maxItems).toBe(100);
    const pushed = await connector.client.batch!.push([
      { sku: 'SKU-02', quantity: 0, version: 1 },
      { sku: 'SKU-110', quantity: 9, version: 2 },
    ]);
    expect(pushed).toEqual({ ok: true });
    expect(twin.channel.quantityOf('SKU-02')).toBe(0);
    expect(twin.channel.quantityOf('SKU-110')).toBe(9);
    expect(await connector.client.readListing('SKU-110')).toEqual({ quantity: 9, version: 2 });
    expect(await connector.client.pushListing({ sku: 'NOPE', quantity: 1, version: 1 })).toMatchObject({ ok: false, error: 'rejected' });
  });

  it('maps a 429 to throttled with retryAfterMs from Retry-After', async () => {
    const twin = await startTwin({ rateLimits: [{ kind: 'leaky-bucket', capacity: 2, leakPerS: 0.01 }] });
    const connector = createWooCommerceConnector(config(twin.url));
    await connector.prepare?.(['SKU-01']);
    expect(await connector.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toEqual({ ok: true });
    const throttled = await connector.client.pushListing({ sku: 'SKU-01', quantity: 2, version: 2 });
    expect(throttled).toMatchObject({ ok: false, error: 'throttled' });
    expect(throttled.ok ? 0 : (throttled.retryAfterMs ?? 0)).toBeGreaterThan(0);
    expect(twin.channel.quantityOf('SKU-01')).toBe(1);
  });

  it('at speedup 100 sends Retry-After in real seconds with the exact real wait, and the connector waits in scenario time', async () => {
    // Every call throttled with a 2 000 scenario ms wait: 20 real ms at speedup 100.
    const twin = await startTwin({}, undefined, { ...NO_FAULTS, active: () => true, throttleRate: 1, throttleRetryAfterMs: 2_000 });
    const refused = await failure(client(twin.url).get('products/1'));
    expect(refused.status).toBe(429);
    // HTTP's whole seconds round up, never to 0; retry-after-ms carries the real 20 ms.
    expect(refused.headers).toMatchObject({ 'retry-after': '1', 'retry-after-ms': '20' });
    const engine = createWooCommerceConnector({ ...config(twin.url), speedup: 100 });
    expect(await engine.client.batch!.push([{ sku: 'SKU-01', quantity: 1, version: 1 }])).toMatchObject({ ok: false, error: 'throttled', retryAfterMs: 2_000 });
    expect(twin.channel.quantityOf('SKU-01')).toBe(5);
  });

  it('maps an outage to unavailable (503) and an injected 5xx to server_error (500)', async () => {
    const outage = await startTwin({}, undefined, { ...NO_FAULTS, active: () => true, inOutage: () => true });
    const down = createWooCommerceConnector(config(outage.url));
    const fetched = await fetch(`${outage.url}/wp-json/wc/v3/products/1?consumer_key=${KEY}&consumer_secret=${SECRET}`);
    expect(fetched.status).toBe(503);
    expect(await fetched.json()).toMatchObject({ code: 'service_unavailable', data: { status: 503 } });
    expect(await down.client.batch!.push([{ sku: 'SKU-01', quantity: 1, version: 1 }])).toMatchObject({ ok: false, error: 'unavailable' });
    const failing = await startTwin({}, undefined, { ...NO_FAULTS, active: () => true, serverErrorRate: 1 });
    const broken = createWooCommerceConnector(config(failing.url));
    expect(await broken.client.batch!.push([{ sku: 'SKU-01', quantity: 1, version: 1 }])).toMatchObject({ ok: false, error: 'server_error' }); // the SKU lookup answered 500
    const direct = await fetch(`${failing.url}/wp-json/wc/v3/products/1?consumer_key=${KEY}&consumer_secret=${SECRET}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"stock_quantity":1}' });
    expect(direct.status).toBe(500);
    expect(failing.channel.quantityOf('SKU-01')).toBe(5);
  });

  it('maps a held call answered 504, and no answer within timeoutMs, to timeout', async () => {
    const twin = await startTwin({}, undefined, { ...NO_FAULTS, active: () => true, timeoutRate: 1, timeoutMs: 5_000 });
    const connector = createWooCommerceConnector(config(twin.url));
    expect(await connector.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toMatchObject({ ok: false, error: 'timeout' });
    const impatient = createWooCommerceConnector({ ...config(twin.url), timeoutMs: 5 });
    expect(await impatient.client.pushListing({ sku: 'SKU-01', quantity: 1, version: 1 })).toMatchObject({ ok: false, error: 'timeout', message: 'no answer within 5 ms' });
  });
});

describe('woocommerce order.created webhooks', () => {
  it('disables a webhook after 5 failed deliveries in a row', async () => {
    const receiver = await startReceiver(500);
    const twin = await startTwin();
    await client(twin.url).post('webhooks', { name: 'w', topic: 'order.created', delivery_url: receiver.url, secret: 'whsec', status: 'active' });
    for (let n = 1; n <= 6; n += 1) {
      twin.protocol.orderPlaced({ orderId: `woo-${n}`, number: n, channel: 'woo', sku: 'SKU-01', units: 1, placedAtMs: twin.time.nowMs() });
      await until(() => twin.protocol.webhookStats()?.pending === 0, 'the delivery');
    }
    expect(receiver.received.length).toBe(5);
    const listed = await client(twin.url).get('webhooks');
    expect(listed.data).toMatchObject([{ id: 1, status: 'disabled' }]);
  });


  it('delivers a signed order.created that the connector verifies; a tampered body is 401', async () => {
    const receiver = await startReceiver(200);
    const twin = await startTwin();
    const connector = createWooCommerceConnector({ channel: 'woo', dialect: 'woocommerce', baseUrl: twin.url, accessToken: KEY, secret: SECRET, account: 'shop.example' });
    await connector.subscribe?.(receiver.url);
    const listed = await client(twin.url).get('webhooks');
    expect(listed.data).toMatchObject([{ id: 1, topic: 'order.created', status: 'active', delivery_url: receiver.url }]);

    twin.protocol.orderPlaced({ orderId: 'woo-1', number: 1, channel: 'woo', sku: 'SKU-04', units: 2, placedAtMs: twin.time.nowMs() });
    await until(() => receiver.received.length === 1, 'the webhook');
    const got = receiver.received[0]!;
    expect(got.headers['x-wc-webhook-topic']).toBe('order.created');
    expect(got.headers['x-wc-webhook-resource']).toBe('order');
    expect(got.headers['x-wc-webhook-event']).toBe('created');
    expect(got.headers['x-wc-webhook-id']).toBe('1');
    const payload = JSON.parse(got.body.toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ id: 1, number: '1', status: 'processing', line_items: [{ product_id: 4, sku: 'SKU-04', quantity: 2 }] });
    expect(payload['date_created_gmt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);

    expect(connector.webhook!.receive(got.headers, got.body)).toEqual({ ok: true, orders: [{ orderId: '1', lines: [{ sku: 'SKU-04', quantity: 2 }] }] });
    const tampered = Buffer.from(got.body.toString('utf8').replace('"quantity":2', '"quantity":20'));
    expect(connector.webhook!.receive(got.headers, tampered)).toMatchObject({ ok: false, status: 401 });
    expect(connector.webhook!.receive({ ...got.headers, 'x-wc-webhook-signature': undefined }, got.body)).toMatchObject({ ok: false, status: 401 });
    expect(connector.webhook!.receive({}, Buffer.from('webhook_id=1'))).toEqual({ ok: true, orders: [] });
    // The receiver records the request before it answers; the twin counts the delivery done once answered.
    await until(() => twin.protocol.webhookStats()?.pending === 0, 'the delivery to finish');
    expect(twin.protocol.webhookStats()).toEqual({ attempts: 1, failed: 0, abandoned: 0, pending: 0 });
  });

  it('never retries a delivery the receiver answers 500 (the --webhook URL, signed with the twin secret)', async () => {
    const receiver = await startReceiver(500);
    const twin = await startTwin({}, receiver.url);
    twin.protocol.orderPlaced({ orderId: 'woo-1', number: 1, channel: 'woo', sku: 'SKU-01', units: 1, placedAtMs: twin.time.nowMs() });
    await until(() => twin.protocol.webhookStats()?.abandoned === 1, 'the failed delivery');
    await new Promise((r) => setTimeout(r, 100)); // 10 scenario seconds: any retry would have come
    expect(receiver.received.length).toBe(1);
    expect(twin.protocol.webhookStats()).toEqual({ attempts: 1, failed: 1, abandoned: 1, pending: 0 });
    const intake = createWooCommerceConnector({ channel: 'woo', dialect: 'woocommerce', baseUrl: twin.url, accessToken: KEY, secret: SECRET, account: 'x' }).webhook!;
    expect(intake.receive(receiver.received[0]!.headers, receiver.received[0]!.body)).toMatchObject({ ok: true });
  });
});
