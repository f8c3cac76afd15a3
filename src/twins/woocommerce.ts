/**
 * The WooCommerce twin: the inventory subset of the REST API v3 (`/wp-json/wc/v3`) answered
 * through the channel model, and `order.created` webhooks delivered as WC_Webhook does.
 *
 * What it relies on (WooCommerce's own code, includes/class-wc-rest-authentication.php and
 * WC_REST_Controller; the npm client @woocommerce/woocommerce-rest-api 1.0.2):
 * - Credentials: query-string `consumer_key`/`consumer_secret`, then HTTP Basic (Woo reads both
 *   only over SSL; the twin is served over http, so it accepts them there too, as a TLS-terminating
 *   proxy would present them), then OAuth 1.0a one-legged HMAC-SHA1/SHA256 with the parameters in
 *   the query string, signed over `http://<Host><path>` with the key `consumer_secret&`, a
 *   timestamp within 15 minutes and a nonce not used in those 15 minutes. No credentials:
 *   401 `woocommerce_rest_cannot_view`; wrong ones: 401 `woocommerce_rest_authentication_error`.
 * - Batch: more than 100 items (create + update + delete) is 413
 *   `woocommerce_rest_request_entity_too_large`; an unknown id fails alone, in the answer's
 *   array, as `woocommerce_rest_product_invalid_id` (the other items apply).
 * - Product ids are the SKU's index in `channel.skus` plus 1.
 * - Webhooks: headers X-WC-Webhook-{Source,Topic,Resource,Event,Signature,ID,Delivery-ID}, the
 *   signature base64 HMAC-SHA256 of the body with the webhook's secret; no retry
 *   (preset maxDeliveryAttempts 1); a webhook is disabled after 5 failed deliveries in a row
 *   (`woocommerce_max_webhook_delivery_failures`, see the preset's sources). The ping Woo sends
 *   when a webhook is created is not sent.
 * The refusals have no body in Woo core (the host answers them); the twin gives Woo-shaped ones.
 * Retry-After is in real seconds, rounded up, with the exact real wait in `retry-after-ms`
 * (wire-time.ts): a client on the wall clock waits what the channel model asks at any speedup.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { afterRealMs } from '../adapters/realtime.js';
import { oauthSignature, WOO_API_PREFIX, WOO_BATCH_LIMIT, wooWebhookSignature } from '../connectors/woocommerce.js';
import { sampleLatencyMs } from '../model/latency.js';
import { Rng } from '../model/random.js';
import { tokenMatches } from '../serve/signature.js';
import { retryAfterHeaders } from './wire-time.js';
import { MAX_TWIN_QUANTITY, type CallOutcome } from './channel.js';
import type { TwinOrder, TwinProtocol, TwinProtocolContext, TwinProtocolFactory, WebhookStats } from './protocol.js';

/** Woo's OAuth timestamp window and nonce memory (check_oauth_timestamp_and_nonce). */
const OAUTH_WINDOW_S = 15 * 60;
const MAX_REMEMBERED_NONCES = 100_000;
const MAX_WEBHOOKS = 100;
/** Deliveries waiting or in flight at once; more are dropped and counted abandoned. */
const MAX_PENDING_DELIVERIES = 10_000;
/** WC_Webhook::failed_delivery disables a webhook after this many failures in a row (default 5). */
const MAX_DELIVERY_FAILURES = 5;
/** The Hookshot request's timeout, real ms (MINUTE_IN_SECONDS in WC_Webhook::deliver). */
const DELIVERY_TIMEOUT_MS = 60_000;
const PER_PAGE_DEFAULT = 10;
const PER_PAGE_MAX = 100;

interface Webhook {
  readonly id: number;
  readonly name: string;
  status: 'active' | 'paused' | 'disabled';
  readonly topic: string;
  readonly deliveryUrl: string;
  readonly secret: string;
  readonly createdMs: number;
  failures: number;
}

/** Where a delivery goes: an API webhook, or `--webhook` (id 0, signed with the twin's secret). */
interface Target {
  readonly webhook: Webhook | undefined;
  readonly url: string;
  readonly secret: string;
}

type Reply = { readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> };

function wooError(status: number, code: string, message: string): Reply {
  return { status, body: { code, message, data: { status } } };
}

/** Query parameters, a repeated one by its last value (PHP's $_GET; the npm client repeats them). */
function lastValues(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const last: unknown = Array.isArray(v) ? v[v.length - 1] : v;
    out[k] = typeof last === 'string' ? last : undefined;
  }
  return out;
}

function wpDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

export const createWooCommerceTwin: TwinProtocolFactory = (ctx: TwinProtocolContext): TwinProtocol => {
  const { channel, credentials, time } = ctx;
  const rng = ctx.rng ?? new Rng(`woocommerce-twin\u0000${channel.id}`);
  const nonces = new Map<string, number>();
  const webhooks: Webhook[] = [];
  const stats: WebhookStats = { attempts: 0, failed: 0, abandoned: 0, pending: 0 };
  const timers = new Map<object, () => void>();
  const inFlight = new Set<AbortController>();
  let deliveryId = 0;
  let closed = false;

  const epochS = (): number => Math.floor(time.wallClockMs(time.nowMs()) / 1000);

  function product(index: number): Record<string, unknown> {
    const sku = channel.skus[index]!;
    const q = channel.quantityOf(sku) ?? 0;
    return { id: index + 1, name: sku, slug: sku.toLowerCase(), type: 'simple', status: 'publish', sku, manage_stock: true, stock_quantity: q, stock_status: q > 0 ? 'instock' : 'outofstock' };
  }

  function indexOfId(id: unknown): number | undefined {
    const n = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= channel.skus.length ? n - 1 : undefined;
  }

  // ---- authentication ----

  function authenticate(req: FastifyRequest): Reply | undefined {
    const raw = req.raw.url ?? '';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    // A key given twice counts once, its last value, as in PHP's $_GET: the npm client's oauth-1.0a
    // merges the URL's own parameters into the OAuth ones it returns, so axios sends them twice.
    const params = [...new Map(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)))];
    const get = (name: string): string | undefined => params.find(([k]) => k === name)?.[1];
    const bad = (message: string): Reply => wooError(401, 'woocommerce_rest_authentication_error', message);
    const check = (key: string, secret: string): Reply | undefined => {
      if (!tokenMatches(key, credentials.accessToken)) return bad('Consumer key is invalid.');
      return tokenMatches(secret, credentials.secret) ? undefined : bad('Consumer secret is invalid.');
    };
    const qsKey = get('consumer_key');
    const qsSecret = get('consumer_secret');
    if (qsKey && qsSecret) return check(qsKey, qsSecret);
    const authorization = req.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return check(decoded.slice(0, colon), decoded.slice(colon + 1));
    }
    const signature = get('oauth_signature');
    const oauthKey = get('oauth_consumer_key');
    if (signature === undefined && oauthKey === undefined) return wooError(401, 'woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.');
    const missing = ['oauth_consumer_key', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method'].filter((n) => !get(n));
    if (missing.length > 0) return wooError(401, 'woocommerce_rest_authentication_missing_parameter', `Missing OAuth parameter(s) ${missing.join(', ')}`);
    if (!tokenMatches(oauthKey!, credentials.accessToken)) return bad('Consumer key is invalid.');
    const method = get('oauth_signature_method');
    if (method !== 'HMAC-SHA256' && method !== 'HMAC-SHA1') return bad('Invalid signature - signature method is invalid.');
    const baseUrl = `http://${req.headers.host ?? ''}${path}`;
    const algorithm = method === 'HMAC-SHA1' ? 'sha1' : 'sha256';
    const expected = oauthSignature({ method: req.method, baseUrl, params, consumerSecret: credentials.secret, algorithm });
    // Woo restores '+' that a form decoder turned into a space.
    if (!tokenMatches(signature!.replace(/ /g, '+'), expected)) return bad('Invalid signature - provided signature does not match.');
    const timestamp = Number(get('oauth_timestamp'));
    const now = epochS();
    if (!(Math.abs(timestamp - now) <= OAUTH_WINDOW_S)) return bad('Invalid timestamp.');
    const nonce = get('oauth_nonce')!;
    if (nonces.has(nonce)) return bad('Invalid nonce - nonce has already been used.');
    rememberNonce(nonce, now);
    return undefined;
  }

  function rememberNonce(nonce: string, nowS: number): void {
    for (const [n, at] of nonces) {
      if (at >= nowS - OAUTH_WINDOW_S && nonces.size < MAX_REMEMBERED_NONCES) break;
      nonces.delete(n); // oldest first (insertion order): expired, or evicted to keep the bound
    }
    nonces.set(nonce, nowS);
  }

  // ---- the channel model ----

  function refusal(outcome: CallOutcome<unknown> & { ok: false }): Reply {
    switch (outcome.kind) {
      case 'throttled':
      case 'listing_quota': {
        const r = wooError(429, 'woocommerce_rest_too_many_requests', 'Too many requests.');
        return { ...r, headers: retryAfterHeaders(outcome.retryAfterMs, time.speedup) };
      }
      case 'server_error':
        return wooError(500, 'internal_server_error', 'There has been a critical error on this website.');
      case 'unavailable':
        return wooError(503, 'service_unavailable', 'Briefly unavailable for scheduled maintenance. Check back in a minute.');
      case 'timeout':
        // The channel has already held the call for the client's timeout.
        return wooError(504, 'gateway_timeout', 'The upstream server did not answer in time.');
    }
  }

  async function through(items: number, read: boolean, perform: () => Reply): Promise<Reply> {
    const outcome = await channel.call(read ? { items, read } : { items }, perform);
    return outcome.ok ? outcome.value : refusal(outcome);
  }

  function parseJson(req: FastifyRequest): { ok: true; value: unknown } | { ok: false; reply: Reply } {
    const raw = req.body;
    if (raw === undefined || raw === '') return { ok: true, value: {} };
    try {
      return { ok: true, value: JSON.parse(String(raw)) };
    } catch {
      return { ok: false, reply: wooError(400, 'rest_invalid_json', 'Invalid JSON body passed.') };
    }
  }

  /** A stock write for one product; an error object in Woo's shape when it cannot apply. */
  function setStock(index: number | undefined, quantity: unknown): { ok: true } | { ok: false; error: Reply } {
    if (index === undefined) return { ok: false, error: wooError(400, 'woocommerce_rest_product_invalid_id', 'Invalid ID.') };
    if (quantity === undefined) return { ok: true };
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 0 || quantity > MAX_TWIN_QUANTITY) {
      return { ok: false, error: wooError(400, 'rest_invalid_param', 'Invalid parameter(s): stock_quantity') };
    }
    const w = channel.write([{ sku: channel.skus[index]!, set: quantity }]);
    return w.ok ? { ok: true } : { ok: false, error: wooError(400, 'rest_invalid_param', `Invalid parameter(s): stock_quantity (${w.reason})`) };
  }

  // ---- routes ----

  function listProducts(query: Record<string, string | undefined>): Reply {
    const perPage = query['per_page'] === undefined ? PER_PAGE_DEFAULT : Number(query['per_page']);
    const page = query['page'] === undefined ? 1 : Number(query['page']);
    if (!Number.isSafeInteger(perPage) || perPage < 1 || perPage > PER_PAGE_MAX) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): per_page');
    if (!Number.isSafeInteger(page) || page < 1) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): page');
    const wanted = query['sku'] === undefined ? undefined : new Set(query['sku'].split(',').map((s) => s.trim()));
    const indices: number[] = [];
    channel.skus.forEach((sku, i) => {
      if (wanted === undefined || wanted.has(sku)) indices.push(i);
    });
    const body = indices.slice((page - 1) * perPage, page * perPage).map(product);
    return { status: 200, body, headers: { 'x-wp-total': String(indices.length), 'x-wp-totalpages': String(Math.ceil(indices.length / perPage)) } };
  }

  function batch(body: unknown): { items: number; perform: () => Reply } | Reply {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): update');
    const b = body as Record<string, unknown>;
    const list = (k: string): unknown[] | undefined => (Array.isArray(b[k]) ? (b[k] as unknown[]) : undefined);
    const update = list('update') ?? [];
    const total = update.length + (list('create')?.length ?? 0) + (list('delete')?.length ?? 0);
    if (total > WOO_BATCH_LIMIT) return wooError(413, 'woocommerce_rest_request_entity_too_large', `Unable to accept more than ${WOO_BATCH_LIMIT} items for this request.`);
    const perform = (): Reply => {
      const answered = update.map((item) => {
        const it = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
        const index = indexOfId(it['id']);
        const r = setStock(index, it['stock_quantity']);
        return r.ok ? product(index!) : { id: it['id'] ?? 0, error: r.error.body };
      });
      const unsupported = (k: string): Record<string, unknown>[] =>
        (list(k) ?? []).map(() => ({ id: 0, error: (wooError(400, `woocommerce_rest_cannot_${k}`, `The twin does not ${k} products.`).body) }));
      return { status: 200, body: { create: unsupported('create'), update: answered, delete: unsupported('delete') } };
    };
    return { items: Math.max(1, update.length), perform };
  }

  function webhookResource(w: Webhook): Record<string, unknown> {
    const [resource, event] = w.topic.split('.');
    const created = time.wallClockMs(w.createdMs);
    return {
      id: w.id,
      name: w.name,
      status: w.status,
      topic: w.topic,
      resource: resource ?? '',
      event: event ?? '',
      hooks: w.topic === 'order.created' ? ['woocommerce_new_order'] : [],
      delivery_url: w.deliveryUrl,
      date_created: wpDate(created),
      date_created_gmt: wpDate(created),
      date_modified: wpDate(created),
      date_modified_gmt: wpDate(created),
    };
  }

  function createWebhook(body: unknown): Reply {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const missing = ['topic', 'delivery_url'].filter((k) => typeof b[k] !== 'string' || b[k] === '');
    if (missing.length > 0) return wooError(400, 'rest_missing_callback_param', `Missing parameter(s): ${missing.join(', ')}`);
    let url: URL;
    try {
      url = new URL(String(b['delivery_url']));
    } catch {
      return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): delivery_url');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): delivery_url');
    if (webhooks.length >= MAX_WEBHOOKS) return wooError(400, 'woocommerce_rest_webhook_limit', `The twin keeps at most ${MAX_WEBHOOKS} webhooks.`);
    const status = b['status'] === 'paused' || b['status'] === 'disabled' ? b['status'] : 'active';
    const w: Webhook = {
      id: webhooks.length + 1,
      name: typeof b['name'] === 'string' ? b['name'] : `Webhook created on ${wpDate(time.wallClockMs(time.nowMs()))}`,
      status,
      topic: String(b['topic']),
      deliveryUrl: url.toString(),
      // Woo generates a secret when none is given; the twin's own secret is one the tester knows.
      secret: typeof b['secret'] === 'string' && b['secret'] !== '' ? b['secret'] : credentials.secret,
      createdMs: time.nowMs(),
      failures: 0,
    };
    webhooks.push(w);
    return { status: 201, body: webhookResource(w) };
  }

  function register(app: FastifyInstance): void {
    void app.register(
      async (scope) => {
        // JSON is parsed by the routes, so a malformed body gets Woo's `rest_invalid_json`.
        scope.removeContentTypeParser('application/json');
        scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
        const send = (reply: FastifyReply, r: Reply): FastifyReply => {
          if (r.headers !== undefined) void reply.headers(r.headers);
          return reply.status(r.status).send(r.body);
        };
        scope.addHook('preHandler', async (req, reply) => {
          const failure = authenticate(req);
          if (failure !== undefined) return send(reply, failure);
          return undefined;
        });
        scope.get('/products', async (req, reply) => send(reply, await through(1, true, () => listProducts(lastValues(req.query)))));
        scope.get('/products/:id', async (req, reply) => {
          const index = indexOfId((req.params as { id: string }).id);
          return send(reply, await through(1, true, () => (index === undefined ? wooError(404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.') : { status: 200, body: product(index) })));
        });
        scope.put('/products/:id', async (req, reply) => {
          const parsed = parseJson(req);
          if (!parsed.ok) return send(reply, parsed.reply);
          const index = indexOfId((req.params as { id: string }).id);
          const quantity = (parsed.value as Record<string, unknown> | null)?.['stock_quantity'];
          return send(reply, await through(1, false, () => {
            const r = setStock(index, quantity);
            return r.ok ? { status: 200, body: product(index!) } : r.error;
          }));
        });
        scope.post('/products/batch', async (req, reply) => {
          const parsed = parseJson(req);
          if (!parsed.ok) return send(reply, parsed.reply);
          const b = batch(parsed.value);
          if ('status' in b) return send(reply, b);
          return send(reply, await through(b.items, false, b.perform));
        });
        scope.post('/webhooks', async (req, reply) => {
          const parsed = parseJson(req);
          return send(reply, parsed.ok ? createWebhook(parsed.value) : parsed.reply);
        });
        scope.get('/webhooks', async (_req, reply) => send(reply, { status: 200, body: webhooks.map(webhookResource) }));
      },
      { prefix: WOO_API_PREFIX },
    );
  }

  // ---- webhooks ----

  function orderPayload(order: TwinOrder): Record<string, unknown> {
    const created = wpDate(time.wallClockMs(order.placedAtMs));
    const index = channel.skus.indexOf(order.sku);
    return {
      id: order.number,
      parent_id: 0,
      number: String(order.number),
      order_key: `wc_order_${order.orderId}`,
      created_via: 'checkout',
      status: 'processing',
      currency: 'USD',
      date_created: created,
      date_created_gmt: created,
      date_modified: created,
      date_modified_gmt: created,
      prices_include_tax: false,
      customer_id: 0,
      discount_total: '0.00',
      shipping_total: '0.00',
      total: '0.00',
      total_tax: '0.00',
      payment_method: 'cod',
      set_paid: false,
      billing: {},
      shipping: {},
      meta_data: [{ id: 1, key: 'invsim_order_id', value: order.orderId }],
      line_items: [
        { id: 1, name: order.sku, product_id: index + 1, variation_id: 0, quantity: order.units, tax_class: '', subtotal: '0.00', subtotal_tax: '0.00', total: '0.00', total_tax: '0.00', taxes: [], meta_data: [], sku: order.sku, price: 0 },
      ],
    };
  }

  function orderPlaced(order: TwinOrder): void {
    if (closed) return;
    const targets: Target[] = webhooks.filter((w) => w.status === 'active' && w.topic === 'order.created').map((w) => ({ webhook: w, url: w.deliveryUrl, secret: w.secret }));
    if (ctx.webhookUrl !== undefined) targets.push({ webhook: undefined, url: ctx.webhookUrl, secret: credentials.secret });
    const body = JSON.stringify(orderPayload(order));
    const n = channel.preset.orderNotification;
    for (const target of targets) {
      const delayMs = n.mode === 'webhook' ? sampleLatencyMs(n.delay, rng) : 0;
      schedule(delayMs, target, body, 1);
    }
  }

  function schedule(delayMs: number, target: Target, body: string, attempt: number): void {
    if (stats.pending >= MAX_PENDING_DELIVERIES) {
      stats.abandoned += 1;
      ctx.log(`woocommerce twin ${channel.id}: more than ${MAX_PENDING_DELIVERIES} webhook deliveries pending; one dropped`);
      return;
    }
    stats.pending += 1;
    const key = {};
    timers.set(key, afterRealMs(delayMs / time.speedup, () => {
      timers.delete(key);
      void deliver(target, body, attempt).finally(() => {
        stats.pending -= 1;
      });
    }));
  }

  async function deliver(target: Target, body: string, attempt: number): Promise<void> {
    if (closed) return;
    stats.attempts += 1;
    deliveryId += 1;
    const controller = new AbortController();
    inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    let ok = false;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'WooCommerce/9.0 Hookshot (WordPress/6.5)',
          'x-wc-webhook-source': `http://${credentials.account}/`,
          'x-wc-webhook-topic': 'order.created',
          'x-wc-webhook-resource': 'order',
          'x-wc-webhook-event': 'created',
          'x-wc-webhook-signature': wooWebhookSignature(body, target.secret),
          'x-wc-webhook-id': String(target.webhook?.id ?? 0),
          'x-wc-webhook-delivery-id': String(deliveryId),
        },
        body,
      });
      await response.arrayBuffer().catch(() => undefined);
      ok = response.status >= 200 && response.status < 300;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timeout);
      inFlight.delete(controller);
    }
    if (closed) return;
    if (ok) {
      if (target.webhook !== undefined) target.webhook.failures = 0;
      return;
    }
    stats.failed += 1;
    if (target.webhook !== undefined) {
      target.webhook.failures += 1;
      if (target.webhook.failures >= MAX_DELIVERY_FAILURES && target.webhook.status === 'active') {
        target.webhook.status = 'disabled';
        ctx.log(`woocommerce twin ${channel.id}: webhook ${target.webhook.id} disabled after ${MAX_DELIVERY_FAILURES} failed deliveries`);
      }
    }
    const n = channel.preset.orderNotification;
    const maxAttempts = n.mode === 'webhook' ? n.maxDeliveryAttempts : 1;
    if (attempt >= maxAttempts) {
      stats.abandoned += 1;
      return;
    }
    // Presets with retries (not Woo's): spread them evenly over the retry window.
    const retryMs = n.mode === 'webhook' ? (n.retryWindowS * 1000) / Math.max(1, maxAttempts - 1) : 0;
    schedule(retryMs, target, body, attempt + 1);
  }

  return {
    dialect: 'woocommerce',
    register,
    orderPlaced,
    webhookStats: () => ({ ...stats }),
    async close(): Promise<void> {
      closed = true;
      for (const cancel of timers.values()) cancel();
      stats.pending -= timers.size;
      timers.clear();
      for (const c of inFlight) c.abort();
    },
  };
};
