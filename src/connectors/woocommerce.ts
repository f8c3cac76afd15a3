/**
 * The WooCommerce REST API v3 connector: stock set absolutely through `PUT /products/:id` and
 * `POST /products/batch` (at most 100 items, WC_REST_Controller's `woocommerce_rest_batch_items_limit`
 * default), orders taken from `order.created` webhooks subscribed through `POST /webhooks`.
 *
 * Authentication follows WooCommerce's own WC_REST_Authentication (includes/class-wc-rest-
 * authentication.php): Basic auth is only read when `is_ssl()`, so over https the connector sends
 * `Authorization: Basic key:secret`; over plain http only OAuth 1.0a "one-legged" works, so the
 * connector signs every request with HMAC-SHA256, the parameters in the query string, the signing
 * key `consumer_secret&` (no token), as @woocommerce/woocommerce-rest-api 1.0.2 does with
 * oauth-1.0a. The twin (src/twins/woocommerce.ts) verifies with the same `oauthSignature`.
 * Nonces come from node:crypto: they must be unpredictable, not replayable, and play no part in a
 * run's outcome.
 *
 * Webhook deliveries carry `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body, keyed
 * with the webhook's secret (WC_Webhook::generate_signature).
 *
 * A 429's Retry-After (or the exact `retry-after-ms` the twins add) is real time; the engine is
 * given it in scenario time (`config.speedup`, src/connectors/wire-time.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChannelClient, ChannelListing, ChannelResult, ChannelUpdate } from '../engine/ports.js';
import type { Connector, ConnectorConfig, ConnectorFactory, IncomingOrder, WebhookParse } from './types.js';
import { checkedSpeedup, retryAfterScenarioMs } from './wire-time.js';

export const WOO_API_PREFIX = '/wp-json/wc/v3';
/** WC_REST_Controller::check_batch_limit: `woocommerce_rest_batch_items_limit`, default 100. */
export const WOO_BATCH_LIMIT = 100;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Products listed per page when resolving SKUs (the API's per_page maximum). */
const PER_PAGE_MAX = 100;

/** RFC 3986 percent-encoding, as oauth-1.0a's percentEncode and PHP's rawurlencode. */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The OAuth 1.0a HMAC-SHA256 signature of a request (RFC 5849 §3.4, as Woo checks it): method,
 * the base URL without query, and every parameter but `oauth_signature`, each key and value
 * encoded, sorted by key, joined `k=v&…`; keyed with `consumerSecret&`.
 */
export function oauthSignature(options: {
  readonly method: string;
  readonly baseUrl: string;
  readonly params: readonly (readonly [string, string])[];
  readonly consumerSecret: string;
  /** HMAC-SHA256 unless told; Woo accepts HMAC-SHA1 too. */
  readonly algorithm?: 'sha256' | 'sha1';
}): string {
  const pairs = options.params
    .filter(([k]) => k !== 'oauth_signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const paramString = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const base = `${options.method.toUpperCase()}&${rfc3986(options.baseUrl)}&${rfc3986(paramString)}`;
  return createHmac(options.algorithm ?? 'sha256', `${rfc3986(options.consumerSecret)}&`).update(base).digest('base64');
}

/** Woo's webhook signature: base64 HMAC-SHA256 of the raw body with the webhook secret. */
export function wooWebhookSignature(body: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

type Fetched = { readonly ok: true; readonly status: number; readonly body: unknown } | { readonly ok: false; readonly result: ChannelResult & { ok: false } };

interface WooProduct {
  readonly id: number;
  readonly sku: string;
  readonly stock_quantity: number | null;
}

function isProduct(value: unknown): value is WooProduct {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['id'] === 'number' && typeof v['sku'] === 'string';
}

function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  return typeof b['code'] === 'string' ? `${b['code']}: ${String(b['message'])}` : undefined;
}

function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | string[] | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

export const createWooCommerceConnector: ConnectorFactory = (config: ConnectorConfig): Connector => {
  const root = config.baseUrl.replace(/\/+$/, '') + WOO_API_PREFIX;
  const https = /^https:/i.test(config.baseUrl);
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const speedup = checkedSpeedup(config.channel, config.speedup);
  const productIds = new Map<string, number>();
  /** The version the channel last acknowledged per SKU (readListing's `version`). */
  const acked = new Map<string, number>();

  function authorize(method: string, path: string, query: readonly (readonly [string, string])[]): { url: string; headers: Record<string, string> } {
    const baseUrl = root + path;
    if (https) {
      const qs = new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])).toString();
      const basic = Buffer.from(`${config.accessToken}:${config.secret}`).toString('base64');
      return { url: qs === '' ? baseUrl : `${baseUrl}?${qs}`, headers: { authorization: `Basic ${basic}` } };
    }
    const oauth: [string, string][] = [
      ['oauth_consumer_key', config.accessToken],
      ['oauth_nonce', randomBytes(16).toString('hex')],
      ['oauth_signature_method', 'HMAC-SHA256'],
      ['oauth_timestamp', String(Math.floor(Date.now() / 1000))],
      ['oauth_version', '1.0'],
    ];
    const params = [...query, ...oauth];
    const signature = oauthSignature({ method, baseUrl, params, consumerSecret: config.secret });
    const qs = [...params, ['oauth_signature', signature] as const].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
    return { url: `${baseUrl}?${qs}`, headers: {} };
  }

  async function request(method: string, path: string, options: { query?: readonly (readonly [string, string])[]; body?: unknown } = {}): Promise<Fetched> {
    const { url, headers } = authorize(method, path, options.query ?? []);
    const init: RequestInit = { method, headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(url, init);
      const text = await response.text();
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, result: { ok: false, error: 'timeout', message: `no answer within ${timeoutMs} ms` } };
      return { ok: false, result: { ok: false, error: 'unavailable', message: String(error) } };
    }
    const s = response.status;
    if (s >= 200 && s < 300) return { ok: true, status: s, body };
    const message = messageOf(body) ?? `HTTP ${s}`;
    if (s === 429) {
      const retryAfterMs = retryAfterScenarioMs(response.headers, speedup);
      const retry = retryAfterMs === undefined ? {} : { retryAfterMs };
      return { ok: false, result: { ok: false, error: 'throttled', message, ...retry } };
    }
    if (s === 503) return { ok: false, result: { ok: false, error: 'unavailable', message } };
    if (s === 504) return { ok: false, result: { ok: false, error: 'timeout', message } };
    if (s >= 500) return { ok: false, result: { ok: false, error: 'server_error', message } };
    return { ok: false, result: { ok: false, error: 'rejected', message } };
  }

  /** Looks SKUs up, at most 100 per call (`sku` takes a comma-separated list); the failed call's result, if one fails. */
  async function resolve(skus: readonly string[]): Promise<(ChannelResult & { ok: false }) | undefined> {
    for (let i = 0; i < skus.length; i += PER_PAGE_MAX) {
      const chunk = skus.slice(i, i + PER_PAGE_MAX);
      const r = await request('GET', '/products', { query: [['sku', chunk.join(',')], ['per_page', String(PER_PAGE_MAX)]] });
      if (!r.ok) return r.result;
      if (!Array.isArray(r.body)) return { ok: false, error: 'server_error', message: 'GET /products answered no list' };
      for (const p of r.body) if (isProduct(p)) productIds.set(p.sku, p.id);
    }
    return undefined;
  }

  const client: ChannelClient = {
    id: config.channel,
    async pushListing(update: ChannelUpdate): Promise<ChannelResult> {
      if (!productIds.has(update.sku)) {
        const failed = await resolve([update.sku]);
        if (failed !== undefined) return failed;
      }
      const id = productIds.get(update.sku);
      if (id === undefined) return { ok: false, error: 'rejected', message: `no product with SKU ${update.sku}` };
      const r = await request('PUT', `/products/${id}`, { body: { stock_quantity: update.quantity } });
      if (!r.ok) return r.result;
      acked.set(update.sku, update.version);
      return { ok: true };
    },
    async readListing(sku: string): Promise<ChannelListing | undefined> {
      const r = await request('GET', '/products', { query: [['sku', sku]] });
      if (!r.ok) throw new Error(`woocommerce ${config.channel}: GET /products?sku=${sku} failed: ${r.result.error} ${r.result.message ?? ''}`);
      const product = Array.isArray(r.body) ? r.body.find((p): p is WooProduct => isProduct(p) && p.sku === sku) : undefined;
      if (product === undefined) return undefined;
      productIds.set(sku, product.id);
      return { quantity: product.stock_quantity ?? 0, version: acked.get(sku) ?? -1 };
    },
    batch: {
      maxItems: WOO_BATCH_LIMIT,
      /**
       * Woo applies a batch item by item (an unknown id fails alone, the others apply); updates are
       * absolute, so the dispatcher re-pushing a batch answered `rejected` sets the same values.
       */
      async push(updates: readonly ChannelUpdate[]): Promise<ChannelResult> {
        const failed = await resolve(updates.map((u) => u.sku).filter((sku) => !productIds.has(sku)));
        if (failed !== undefined) return failed;
        const missing = updates.filter((u) => !productIds.has(u.sku)).map((u) => u.sku);
        if (missing.length > 0) return { ok: false, error: 'rejected', message: `no product with SKU ${missing.join(', ')}` };
        const update = updates.map((u) => ({ id: productIds.get(u.sku)!, stock_quantity: u.quantity }));
        const r = await request('POST', '/products/batch', { body: { update } });
        if (!r.ok) return r.result;
        const answered = (r.body as { update?: unknown } | undefined)?.update;
        const items: unknown[] = Array.isArray(answered) ? answered : [];
        const errors: string[] = [];
        updates.forEach((u, i) => {
          const item = items[i] as { error?: unknown } | undefined;
          if (item !== undefined && item.error === undefined) acked.set(u.sku, u.version);
          else errors.push(`${u.sku}: ${messageOf(item?.error) ?? 'no answer for this item'}`);
        });
        return errors.length === 0 ? { ok: true } : { ok: false, error: 'rejected', message: errors.join('; ') };
      },
    },
  };

  const webhook = {
    receive(headers: Readonly<Record<string, string | string[] | undefined>>, rawBody: Buffer): WebhookParse {
      const given = header(headers, 'x-wc-webhook-signature');
      // WC_Webhook::deliver_ping posts `webhook_id=N` when a webhook is created; it carries no order.
      if (given === undefined && /^webhook_id=\d+$/.test(rawBody.toString('utf8'))) return { ok: true, orders: [] };
      if (typeof given !== 'string' || given === '') return { ok: false, status: 401, reason: 'missing X-WC-Webhook-Signature' };
      const expected = Buffer.from(wooWebhookSignature(rawBody, config.secret), 'base64');
      const presented = Buffer.from(given, 'base64');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, status: 401, reason: 'X-WC-Webhook-Signature does not match' };
      const topic = header(headers, 'x-wc-webhook-topic');
      // Another topic is acknowledged and ignored: a refusal would count as a failed delivery and Woo disables webhooks that fail.
      if (topic !== 'order.created') return { ok: true, orders: [] };
      let payload: unknown;
      try {
        payload = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return { ok: false, status: 400, reason: 'body is not JSON' };
      }
      const order = parseOrder(payload);
      return order === undefined ? { ok: false, status: 400, reason: 'not an order: id and line_items[].sku/quantity expected' } : { ok: true, orders: [order] };
    },
  };

  return {
    client,
    webhook,
    async subscribe(callbackUrl: string): Promise<void> {
      const body = { name: `invsim ${config.channel} order.created`, topic: 'order.created', delivery_url: callbackUrl, secret: config.secret, status: 'active' };
      const r = await request('POST', '/webhooks', { body });
      if (!r.ok) throw new Error(`woocommerce ${config.channel}: POST /webhooks failed: ${r.result.error} ${r.result.message ?? ''}`);
    },
    async prepare(skus: readonly string[]): Promise<void> {
      const failed = await resolve(skus.filter((sku) => !productIds.has(sku)));
      if (failed !== undefined) throw new Error(`woocommerce ${config.channel}: resolving SKUs failed: ${failed.error} ${failed.message ?? ''}`);
    },
  };
};

function parseOrder(payload: unknown): IncomingOrder | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const id = p['id'];
  const items = p['line_items'];
  if ((typeof id !== 'number' && typeof id !== 'string') || !Array.isArray(items)) return undefined;
  const lines: { sku: string; quantity: number }[] = [];
  for (const item of items) {
    const li = item as Record<string, unknown> | null;
    const sku = li?.['sku'];
    const quantity = li?.['quantity'];
    if (typeof sku !== 'string' || typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity <= 0) return undefined;
    lines.push({ sku, quantity });
  }
  return { orderId: String(id), lines };
}
