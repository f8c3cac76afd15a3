/**
 * The Amazon twin: the inventory subset of SP-API. Listings Items 2021-08-01
 * (patchListingsItem: JSON Patch on /attributes/fulfillment_availability, answered
 * {sku, status: "ACCEPTED", submissionId, issues}; getListingsItem with
 * includedData=fulfillmentAvailability), the LWA token endpoint (/auth/o2/token), and the
 * Orders API v0 (getOrders with CreatedAfter/MarketplaceIds/NextToken, getOrderItems) served
 * from an order book. Shapes follow Amazon's published SP-API models (listingsItems_2021-08-01.json,
 * ordersV0.json) and "Usage Plans and Rate Limits" (x-amzn-RateLimit-Limit, 429 QuotaExceeded,
 * error body {errors:[{code,message,details}]}).
 *
 * The PATCH is ACCEPTED at once but the listing changes only after the preset's apply delay:
 * TwinChannel.write queues it, which is SP-API's "accepted then applied".
 *
 * x-amzn-RateLimit-Limit is requests per real second: the scenario's rate times the speedup
 * (wire-time.ts), so a client pacing itself on the wall clock keeps to the channel model's limit.
 * A 429 carries no Retry-After, as SP-API's do not; the rate header is the client's guide.
 * In an outage window the Orders API answers 503 too (TwinChannel.inOutage): an outage is the
 * whole marketplace API's, as in the simulator, which fetches no polled order during one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRateLimiter, type InspectableRateLimiter } from '../model/ratelimit.js';
import { tokenMatches } from '../serve/signature.js';
import type { CallRefusal } from './channel.js';
import type { TwinOrder, TwinProtocol, TwinProtocolContext, TwinProtocolFactory } from './protocol.js';
import { realRatePerS } from './wire-time.js';

/** Orders the book keeps; past it the oldest are dropped (a run's whole order stream fits easily). */
export const AMAZON_ORDER_BOOK_LIMIT = 1_000_000;
/** getOrders page size (the Orders API v0 MaxResultsPerPage maximum). */
const PAGE_SIZE_MAX = 100;
/** Orders API v0 documented limits: getOrders 0.0167 req/s burst 20, getOrderItems 0.5 req/s burst 30. */
const GET_ORDERS_LIMIT = { kind: 'token-bucket', ratePerS: 0.0167, burst: 20 } as const;
const GET_ORDER_ITEMS_LIMIT = { kind: 'token-bucket', ratePerS: 0.5, burst: 30 } as const;

type AmazonError = { code: string; message: string; details?: string };

function errors(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: { errors: AmazonError[] } = { errors: [{ code, message, details: '' }] };
  return reply.code(status).header('content-type', 'application/json').send(body);
}

/** SP-API order ids look like 111-0000001-0000001; the sequence fills both groups. */
export function amazonOrderId(n: number): string {
  const s = String(n).padStart(14, '0');
  return `111-${s.slice(0, 7)}-${s.slice(7)}`;
}

export const createAmazonTwin: TwinProtocolFactory = (ctx: TwinProtocolContext): TwinProtocol => {
  const { channel, credentials, time } = ctx;
  const book: TwinOrder[] = [];
  const byId = new Map<string, TwinOrder>();
  const ordersLimiter: InspectableRateLimiter = createRateLimiter(GET_ORDERS_LIMIT);
  const itemsLimiter: InspectableRateLimiter = createRateLimiter(GET_ORDER_ITEMS_LIMIT);
  let submissions = 0;
  const listingRate = channel.preset.rateLimits.find((r) => r.kind === 'token-bucket');
  // The preset's listing rate; without one, SP-API's documented 5 requests per second for patchListingsItem.
  const listingRateHeader = String(realRatePerS(listingRate?.kind === 'token-bucket' ? listingRate.ratePerS : 5, time.speedup));
  const ordersRateHeader = String(realRatePerS(GET_ORDERS_LIMIT.ratePerS, time.speedup));
  const itemsRateHeader = String(realRatePerS(GET_ORDER_ITEMS_LIMIT.ratePerS, time.speedup));

  // SP-API answers a missing or bad token alike: 403 {code: Unauthorized, message: "Access to requested
  // resource is denied.", details: ""} (as reported in amzn/selling-partner-api-models#943 and #826).
  const authorized = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const token = request.headers['x-amz-access-token'];
    if (typeof token !== 'string' || token === '') {
      void errors(reply, 403, 'Unauthorized', 'Access to requested resource is denied.');
      return false;
    }
    if (!tokenMatches(token, credentials.accessToken)) {
      void errors(reply, 403, 'Unauthorized', 'Access to requested resource is denied.');
      return false;
    }
    return true;
  };

  const refuse = async (reply: FastifyReply, r: CallRefusal, rate: string): Promise<FastifyReply> => {
    reply.header('x-amzn-RateLimit-Limit', rate);
    switch (r.kind) {
      case 'throttled':
      case 'listing_quota':
        return errors(reply, 429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');
      case 'server_error':
        return errors(reply, 500, 'InternalFailure', 'We encountered an internal error. Please try again.');
      case 'unavailable':
        return errors(reply, 503, 'ServiceUnavailable', 'Service temporarily unavailable.');
      case 'timeout':
        // channel.call has already held the answer for the timeout.
        return errors(reply, 504, 'GatewayTimeout', 'The request timed out.');
    }
  };

  const listingBody = (sku: string, quantity: number) => ({
    sku,
    summaries: [],
    fulfillmentAvailability: [{ fulfillmentChannelCode: 'DEFAULT', quantity }],
  });

  /** The quantity a patchListingsItem body sets, or a message saying what is wrong with it. */
  const patchQuantity = (body: unknown): number | string => {
    if (typeof body !== 'object' || body === null) return 'body must be a JSON object';
    const patches = (body as { patches?: unknown }).patches;
    if (!Array.isArray(patches) || patches.length === 0) return 'patches must be a non-empty array';
    let quantity: number | undefined;
    for (const p of patches as unknown[]) {
      if (typeof p !== 'object' || p === null) return 'each patch must be an object';
      const { op, path, value } = p as { op?: unknown; path?: unknown; value?: unknown };
      if (op !== 'replace' && op !== 'add') return `unsupported op ${String(op)}`;
      if (path !== '/attributes/fulfillment_availability') continue;
      const first: unknown = Array.isArray(value) ? value[0] : undefined;
      const q = typeof first === 'object' && first !== null ? (first as { quantity?: unknown }).quantity : undefined;
      if (typeof q !== 'number' || !Number.isSafeInteger(q) || q < 0) return 'fulfillment_availability[0].quantity must be an integer >= 0';
      quantity = q;
    }
    return quantity ?? 'no patch on /attributes/fulfillment_availability';
  };

  const register = (app: FastifyInstance): void => {
    // OAuth token endpoints take form bodies (RFC 6749 section 4.4.2), which fastify does not parse by itself.
    if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
      app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(String(body))));
      });
    }
    app.post('/auth/o2/token', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const grant = body['grant_type'];
      if (grant !== 'refresh_token' && grant !== 'client_credentials') {
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'grant_type must be refresh_token or client_credentials' });
      }
      return { access_token: credentials.accessToken, token_type: 'bearer', expires_in: 3600, ...(grant === 'refresh_token' ? { refresh_token: body['refresh_token'] } : {}) };
    });

    app.patch<{ Params: { sellerId: string; sku: string } }>('/listings/2021-08-01/items/:sellerId/:sku', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { sellerId, sku } = request.params;
      if (sellerId !== credentials.account) return errors(reply, 403, 'Unauthorized', 'Access to requested resource is denied.');
      const quantity = patchQuantity(request.body);
      if (typeof quantity === 'string') return errors(reply, 400, 'InvalidInput', quantity);
      const outcome = await channel.call({ items: 1, keys: [sku] }, () => channel.write([{ sku, set: quantity }]));
      if (!outcome.ok) return refuse(reply, outcome, listingRateHeader);
      reply.header('x-amzn-RateLimit-Limit', listingRateHeader);
      submissions += 1;
      const submissionId = `sub-${submissions}`;
      if (!outcome.value.ok) {
        return { sku, status: 'INVALID', submissionId, issues: [{ code: outcome.value.reason === 'unknown_sku' ? '4000001' : '4000002', message: outcome.value.reason, severity: 'ERROR', attributeNames: ['fulfillment_availability'] }] };
      }
      return { sku, status: 'ACCEPTED', submissionId, issues: [] };
    });

    app.get<{ Params: { sellerId: string; sku: string } }>('/listings/2021-08-01/items/:sellerId/:sku', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const { sellerId, sku } = request.params;
      if (sellerId !== credentials.account) return errors(reply, 403, 'Unauthorized', 'Access to requested resource is denied.');
      const outcome = await channel.call({ items: 1, read: true }, () => channel.quantityOf(sku));
      if (!outcome.ok) return refuse(reply, outcome, listingRateHeader);
      reply.header('x-amzn-RateLimit-Limit', listingRateHeader);
      if (outcome.value === undefined) return errors(reply, 404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace`);
      return listingBody(sku, outcome.value);
    });

    app.get<{ Querystring: Record<string, string | undefined> }>('/orders/v0/orders', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      const q = request.query;
      reply.header('x-amzn-RateLimit-Limit', ordersRateHeader);
      if (channel.inOutage()) return refuse(reply, { kind: 'unavailable' }, ordersRateHeader);
      const admission = ordersLimiter.tryAcquire(time.nowMs(), { items: 1 });
      if (!admission.ok) return errors(reply, 429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');
      if (q['MarketplaceIds'] === undefined || q['MarketplaceIds'] === '') return errors(reply, 400, 'InvalidInput', 'MarketplaceIds is required');
      let start = 0;
      if (q['NextToken'] !== undefined) {
        start = Number(q['NextToken']);
        if (!Number.isSafeInteger(start) || start < 0) return errors(reply, 400, 'InvalidInput', 'Invalid NextToken');
      } else {
        if (q['CreatedAfter'] === undefined) return errors(reply, 400, 'InvalidInput', 'CreatedAfter or LastUpdatedAfter is required');
        const after = Date.parse(q['CreatedAfter']);
        if (Number.isNaN(after)) return errors(reply, 400, 'InvalidInput', 'CreatedAfter must be an ISO 8601 date');
        start = book.findIndex((o) => time.wallClockMs(o.placedAtMs) >= after);
        if (start < 0) start = book.length;
      }
      const max = Math.min(PAGE_SIZE_MAX, Number(q['MaxResultsPerPage'] ?? PAGE_SIZE_MAX) || PAGE_SIZE_MAX);
      const page = book.slice(start, start + max);
      const next = start + page.length < book.length ? String(start + page.length) : undefined;
      return {
        payload: {
          Orders: page.map((o) => ({ AmazonOrderId: o.orderId, PurchaseDate: new Date(time.wallClockMs(o.placedAtMs)).toISOString(), OrderStatus: 'Unshipped', MarketplaceId: 'ATVPDKIKX0DER' })),
          ...(next === undefined ? {} : { NextToken: next }),
          CreatedBefore: new Date(time.wallClockMs(time.nowMs())).toISOString(),
        },
      };
    });

    app.get<{ Params: { orderId: string } }>('/orders/v0/orders/:orderId/orderItems', async (request, reply) => {
      if (!authorized(request, reply)) return reply;
      reply.header('x-amzn-RateLimit-Limit', itemsRateHeader);
      if (channel.inOutage()) return refuse(reply, { kind: 'unavailable' }, itemsRateHeader);
      const admission = itemsLimiter.tryAcquire(time.nowMs(), { items: 1 });
      if (!admission.ok) return errors(reply, 429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.');
      const order = byId.get(request.params.orderId);
      if (order === undefined) return errors(reply, 404, 'NotFound', `Order ${request.params.orderId} not found`);
      return { payload: { AmazonOrderId: order.orderId, OrderItems: [{ SellerSKU: order.sku, QuantityOrdered: order.units, OrderItemId: `${order.number}` }] } };
    });
  };

  return {
    dialect: 'amazon',
    register,
    orderPlaced(order) {
      if (book.length >= AMAZON_ORDER_BOOK_LIMIT) {
        const dropped = book.shift()!;
        byId.delete(dropped.orderId);
        ctx.log(`amazon twin ${channel.id}: order book full (${AMAZON_ORDER_BOOK_LIMIT}); dropped ${dropped.orderId}`);
      }
      // The wire id is derived from the sequence so it has SP-API's 3-7-7 shape whatever id the caller chose.
      const wire = { ...order, orderId: amazonOrderId(order.number) };
      book.push(wire);
      byId.set(wire.orderId, wire);
    },
    webhookStats: () => undefined,
    close: async () => {},
  };
};
