/**
 * The eBay twin: the inventory subset of the Sell APIs. Sell Inventory v1
 * bulkUpdatePriceQuantity (at most 25 requests, `{requests:[{sku, shipToLocationAvailability:
 * {quantity}}]}` answered `{responses:[{statusCode, sku, errors, warnings}]}`) and
 * getInventoryItem, the Fulfillment v1 getOrders (filter=creationdate:[a..b], limit ≤ 200,
 * offset; `orders[].orderId, creationDate, lineItems[].sku/quantity`, `next`) served from an
 * order book, and the client-credentials token endpoint. Error bodies follow eBay's
 * `{errors:[{errorId, domain, category, message}]}` (1001 invalid access token, 429 for rate
 * limits), as in developer.ebay.com's Sell Inventory / Fulfillment references.
 *
 * Each SKU of a bulk request goes through channel.call on its own with `keys: [sku]`, so the
 * preset's per-listing revision quota (250 per listing per day) refuses that item alone, with
 * its own statusCode, as eBay does.
 *
 * A 429 answering the whole request carries Retry-After in real seconds, rounded up, and the
 * exact real wait in `retry-after-ms` (wire-time.ts), whatever the speedup. In an outage window
 * getOrders answers 503 too (TwinChannel.inOutage): an outage is the whole API's, as in the
 * simulator, which fetches no polled order during one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../serve/signature.js';
import type { CallRefusal } from './channel.js';
import type { TwinOrder, TwinProtocol, TwinProtocolContext, TwinProtocolFactory } from './protocol.js';
import { retryAfterHeaders } from './wire-time.js';

/** Orders the book keeps; past it the oldest are dropped. */
export const EBAY_ORDER_BOOK_LIMIT = 1_000_000;
/** bulkUpdatePriceQuantity's documented maximum. */
export const EBAY_BULK_MAX = 25;
const ORDERS_LIMIT_MAX = 200;

type EbayError = { errorId: number; domain: string; category: 'REQUEST' | 'APPLICATION' | 'BUSINESS'; message: string };

function ebayError(errorId: number, message: string, category: EbayError['category'] = 'REQUEST', domain = 'API_INVENTORY'): EbayError {
  return { errorId, domain, category, message };
}

function send(reply: FastifyReply, status: number, error: EbayError): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send({ errors: [error] });
}

/** eBay order ids look like 12-34567-89012. */
export function ebayOrderId(n: number): string {
  const s = String(n).padStart(12, '0');
  return `${s.slice(0, 2)}-${s.slice(2, 7)}-${s.slice(7)}`;
}

/** Status and error for a refused call (per item inside a bulk answer, or the whole response). */
function refusal(r: CallRefusal): { status: number; error: EbayError; retryAfterMs?: number } {
  switch (r.kind) {
    case 'throttled':
      // Status 429 is eBay's; the errorId and the listing-quota errorId below are assumptions (not checked against eBay's error index).
      return { status: 429, error: ebayError(2001, 'Too many requests. The request limit has been reached for the resource.', 'REQUEST', 'ACCESS'), retryAfterMs: r.retryAfterMs };
    case 'listing_quota':
      // eBay caps revisions per listing per day; the call is a business refusal for that item.
      return { status: 429, error: ebayError(25002, 'The maximum number of revisions for this listing per day has been reached.', 'BUSINESS'), retryAfterMs: r.retryAfterMs };
    case 'server_error':
      return { status: 500, error: ebayError(25001, 'A system error has occurred.', 'APPLICATION') };
    case 'unavailable':
      return { status: 503, error: ebayError(2003, 'Internal error. The service is unavailable.', 'APPLICATION', 'ACCESS') };
    case 'timeout':
      return { status: 504, error: ebayError(2003, 'The request timed out.', 'APPLICATION', 'ACCESS') };
  }
}

type BulkRequest = { sku: string; quantity: number };

/** The requests of a bulk body, or a message saying what is wrong with it. */
function parseBulk(body: unknown): BulkRequest[] | string {
  if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
  const requests = (body as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) return 'requests must be a non-empty array';
  const out: BulkRequest[] = [];
  for (const [i, r] of (requests as unknown[]).entries()) {
    if (typeof r !== 'object' || r === null) return `requests[${i}] must be an object`;
    const { sku, shipToLocationAvailability } = r as { sku?: unknown; shipToLocationAvailability?: unknown };
    if (typeof sku !== 'string' || sku === '') return `requests[${i}].sku is required`;
    const q = typeof shipToLocationAvailability === 'object' && shipToLocationAvailability !== null ? (shipToLocationAvailability as { quantity?: unknown }).quantity : undefined;
    if (typeof q !== 'number' || !Number.isSafeInteger(q) || q < 0) return `requests[${i}].shipToLocationAvailability.quantity must be an integer >= 0`;
    out.push({ sku, quantity: q });
  }
  return out;
}

/** filter=creationdate:[from..to] (either bound may be empty). */
function parseCreationDate(filter: string | undefined): { fromMs: number; toMs: number } | string {
  if (filter === undefined || filter === '') return { fromMs: -Infinity, toMs: Infinity };
  const m = /^creationdate:\[(.*?)\.\.(.*)\]$/.exec(filter.trim());
  if (m === null) return 'filter must be creationdate:[from..to]';
  const from = m[1] === '' || m[1] === undefined ? -Infinity : Date.parse(m[1]);
  const to = m[2] === '' || m[2] === undefined ? Infinity : Date.parse(m[2]);
  if (Number.isNaN(from) || Number.isNaN(to)) return 'creationdate bounds must be ISO 8601 dates';
  return { fromMs: from, toMs: to };
}

export const createEbayTwin: TwinProtocolFactory = (ctx: TwinProtocolContext): TwinProtocol => {
  const { channel, credentials, time } = ctx;
  const book: TwinOrder[] = [];

  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (token !== '' && tokenMatches(token, credentials.accessToken)) return true;
    void send(reply, 401, ebayError(1001, 'Invalid access token. Check the value of the Authorization HTTP request header.', 'REQUEST', 'OAuth'));
    return false;
  };

  const refuseWhole = (reply: FastifyReply, r: CallRefusal): FastifyReply => {
    const { status, error, retryAfterMs } = refusal(r);
    if (retryAfterMs !== undefined) reply.headers(retryAfterHeaders(retryAfterMs, time.speedup));
    return send(reply, status, error);
  };

  const register = (app: FastifyInstance): void => {
    // OAuth token endpoints take form bodies (RFC 6749 section 4.4.2), which fastify does not parse by itself.
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
    }
    app.post('/identity/v1/oauth2/token', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (body['grant_type'] !== 'client_credentials' && body['grant_type'] !== 'refresh_token') {
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant type in request is not supported by the authorization server' });
      }
      return { access_token: credentials.accessToken, token_type: 'Application Access Token', expires_in: 7200 };
    });

    app.post('/sell/inventory/v1/bulk_update_price_quantity', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const parsed = parseBulk(request.body);
      if (typeof parsed === 'string') return send(reply, 400, ebayError(25709, `Invalid value for requests. ${parsed}`));
      if (parsed.length > EBAY_BULK_MAX) return send(reply, 400, ebayError(25709, `Invalid value for requests. At most ${EBAY_BULK_MAX} requests are allowed.`));
      const responses = [];
      for (const r of parsed) {
        const outcome = await channel.call({ items: 1, keys: [r.sku] }, () => channel.write([{ sku: r.sku, set: r.quantity }]));
        if (!outcome.ok) {
          const { status, error } = refusal(outcome);
          responses.push({ statusCode: status, sku: r.sku, errors: [error], warnings: [] });
        } else if (!outcome.value.ok) {
          const error = outcome.value.reason === 'unknown_sku' ? ebayError(25710, `We didn't find the resource/entity you are requesting: ${r.sku}`) : ebayError(25709, 'Invalid value for quantity');
          responses.push({ statusCode: outcome.value.reason === 'unknown_sku' ? 404 : 400, sku: r.sku, errors: [error], warnings: [] });
        } else {
          responses.push({ statusCode: 200, sku: r.sku, errors: [], warnings: [] });
        }
      }
      // eBay answers 200 when every item succeeded and 207 (multi-status) otherwise.
      return reply.code(responses.every((x) => x.statusCode === 200) ? 200 : 207).send({ responses });
    });

    app.get<{ Params: { sku: string } }>('/sell/inventory/v1/inventory_item/:sku', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { sku } = request.params;
      const outcome = await channel.call({ items: 1, read: true }, () => channel.quantityOf(sku));
      if (!outcome.ok) return refuseWhole(reply, outcome);
      if (outcome.value === undefined) return send(reply, 404, ebayError(25710, `We didn't find the resource/entity you are requesting: ${sku}`));
      return { sku, availability: { shipToLocationAvailability: { quantity: outcome.value } }, condition: 'NEW' };
    });

    app.get<{ Querystring: Record<string, string | undefined> }>('/sell/fulfillment/v1/order', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      if (channel.inOutage()) return refuseWhole(reply, { kind: 'unavailable' });
      const q = request.query;
      const range = parseCreationDate(q['filter']);
      if (typeof range === 'string') return send(reply, 400, ebayError(30810, `Invalid filter. ${range}`, 'REQUEST', 'API_FULFILLMENT'));
      const limit = q['limit'] === undefined ? 50 : Number(q['limit']);
      const offset = q['offset'] === undefined ? 0 : Number(q['offset']);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > ORDERS_LIMIT_MAX) return send(reply, 400, ebayError(30820, `Invalid limit. Maximum is ${ORDERS_LIMIT_MAX}.`, 'REQUEST', 'API_FULFILLMENT'));
      if (!Number.isSafeInteger(offset) || offset < 0) return send(reply, 400, ebayError(30830, 'Invalid offset.', 'REQUEST', 'API_FULFILLMENT'));
      const matching = book.filter((o) => {
        const at = time.wallClockMs(o.placedAtMs);
        return at >= range.fromMs && at <= range.toMs;
      });
      const page = matching.slice(offset, offset + limit);
      const base = `${request.protocol}://${request.hostname}${request.url.split('?')[0] ?? ''}`;
      const nextOffset = offset + page.length;
      const params = (o: number) => new URLSearchParams({ ...(q['filter'] === undefined ? {} : { filter: q['filter'] }), limit: String(limit), offset: String(o) }).toString();
      return {
        href: `${base}?${params(offset)}`,
        total: matching.length,
        limit,
        offset,
        ...(nextOffset < matching.length ? { next: `${base}?${params(nextOffset)}` } : {}),
        orders: page.map((o) => ({
          orderId: o.orderId,
          creationDate: new Date(time.wallClockMs(o.placedAtMs)).toISOString(),
          orderFulfillmentStatus: 'NOT_STARTED',
          lineItems: [{ lineItemId: String(o.number), sku: o.sku, quantity: o.units }],
        })),
      };
    });
  };

  return {
    dialect: 'ebay',
    register,
    orderPlaced(order) {
      if (book.length >= EBAY_ORDER_BOOK_LIMIT) {
        const dropped = book.shift()!;
        ctx.log(`ebay twin ${channel.id}: order book full (${EBAY_ORDER_BOOK_LIMIT}); dropped ${dropped.orderId}`);
      }
      book.push({ ...order, orderId: ebayOrderId(order.number) });
    },
    webhookStats: () => undefined,
    close: async () => {},
  };
};
