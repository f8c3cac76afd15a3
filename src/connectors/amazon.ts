/**
 * The Amazon connector: SP-API Listings Items 2021-08-01 patchListingsItem (one SKU per call,
 * absolute quantity through a JSON Patch on /attributes/fulfillment_availability), getListingsItem
 * (includedData=fulfillmentAvailability) for reads, and the Orders API v0 (getOrders with
 * CreatedAfter / MarketplaceIds / NextToken, then getOrderItems per order) for the poller.
 * Authenticates with `x-amz-access-token` (an LWA access token given as config.accessToken).
 *
 * Marketplace: ATVPDKIKX0DER (amazon.com, US) — the twins model one marketplace and the
 * connector config has no field for it.
 *
 * x-amzn-RateLimit-Limit is requests per real second and Retry-After real seconds; the wait a
 * 429 gives the engine is in its scenario time (`config.speedup`, src/connectors/wire-time.ts).
 */
import type { ChannelListing, ChannelResult, ChannelUpdate } from '../engine/ports.js';
import { CHANNEL_PRESETS } from '../model/presets.js';
import type { Connector, ConnectorConfig, ConnectorFactory, IncomingOrder, OrderPoller } from './types.js';
import { checkedSpeedup, restoreWaitScenarioMs, retryAfterScenarioMs } from './wire-time.js';

export const AMAZON_MARKETPLACE_ID = 'ATVPDKIKX0DER';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Pages one poll follows at most (100 orders each), so a runaway NextToken chain cannot hang a poll. */
const MAX_PAGES_PER_POLL = 1_000;
/** Order ids a poller remembers to tell apart orders sharing the cursor's timestamp. */
const MAX_SEEN_AT_CURSOR = 100_000;

type Fetched = { ok: true; response: Response } | { ok: false; result: ChannelResult };

/**
 * Maps an HTTP answer to the engine's result; the Amazon rate header (one token's refill) gives
 * the wait when Retry-After is absent, as SP-API sends none. Waits in scenario ms at `speedup`.
 */
export function amazonResultOf(response: Response, message: string, speedup = 1): ChannelResult {
  if (response.ok) return { ok: true };
  if (response.status === 429) {
    const rate = Number(response.headers.get('x-amzn-ratelimit-limit'));
    const retryAfterMs = retryAfterScenarioMs(response.headers, speedup) ?? (rate > 0 && Number.isFinite(rate) ? restoreWaitScenarioMs(1, rate, speedup) : undefined);
    return retryAfterMs === undefined ? { ok: false, error: 'throttled', message } : { ok: false, error: 'throttled', retryAfterMs, message };
  }
  if (response.status === 503) return { ok: false, error: 'unavailable', message };
  if (response.status === 504) return { ok: false, error: 'timeout', message };
  if (response.status >= 500) return { ok: false, error: 'server_error', message };
  return { ok: false, error: 'rejected', message };
}

export async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<Fetched> {
  try {
    return { ok: true, response: await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }) };
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, result: { ok: false, error: 'timeout', message: `no answer within ${timeoutMs} ms` } };
    return { ok: false, result: { ok: false, error: 'unavailable', message: String(error) } };
  }
}

export const createAmazonConnector: ConnectorFactory = (config: ConnectorConfig): Connector => {
  const base = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const speedup = checkedSpeedup(config.channel, config.speedup);
  const headers = { 'x-amz-access-token': config.accessToken, 'content-type': 'application/json', accept: 'application/json' };
  const listingUrl = (sku: string) => `${base}/listings/2021-08-01/items/${encodeURIComponent(config.account)}/${encodeURIComponent(sku)}`;
  const acknowledged = new Map<string, number>();

  const pushListing = async (update: ChannelUpdate): Promise<ChannelResult> => {
    const body = {
      productType: 'PRODUCT',
      patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: update.quantity }] }],
    };
    const url = `${listingUrl(update.sku)}?marketplaceIds=${AMAZON_MARKETPLACE_ID}`;
    const fetched = await fetchWithTimeout(url, { method: 'PATCH', headers, body: JSON.stringify(body) }, timeoutMs);
    if (!fetched.ok) return fetched.result;
    const text = await fetched.response.text();
    const result = amazonResultOf(fetched.response, text.slice(0, 500), speedup);
    if (!result.ok) return result;
    const parsed = JSON.parse(text) as { status?: string; issues?: { message?: string }[] };
    if (parsed.status !== 'ACCEPTED') return { ok: false, error: 'rejected', message: parsed.issues?.[0]?.message ?? `status ${String(parsed.status)}` };
    acknowledged.set(update.sku, Math.max(update.version, acknowledged.get(update.sku) ?? -1));
    return { ok: true };
  };

  const readListing = async (sku: string): Promise<ChannelListing | undefined> => {
    const url = `${listingUrl(sku)}?marketplaceIds=${AMAZON_MARKETPLACE_ID}&includedData=fulfillmentAvailability`;
    const fetched = await fetchWithTimeout(url, { method: 'GET', headers }, timeoutMs);
    if (!fetched.ok) throw new Error(`amazon readListing ${sku}: ${fetched.result.ok ? '' : fetched.result.message ?? fetched.result.error}`);
    if (fetched.response.status === 404) return undefined;
    if (!fetched.response.ok) throw new Error(`amazon readListing ${sku}: HTTP ${fetched.response.status}`);
    const body = (await fetched.response.json()) as { fulfillmentAvailability?: { quantity?: number }[] };
    const quantity = body.fulfillmentAvailability?.[0]?.quantity;
    if (typeof quantity !== 'number') return undefined;
    return { quantity, version: acknowledged.get(sku) ?? -1 };
  };

  return { client: { id: config.channel, pushListing, readListing }, poller: createAmazonPoller(config, base, headers, timeoutMs) };
};

function createAmazonPoller(config: ConnectorConfig, base: string, headers: Record<string, string>, timeoutMs: number): OrderPoller {
  const preset = CHANNEL_PRESETS['amazon-listings'].orderNotification;
  const intervalMs = config.pollIntervalMs ?? (preset.mode === 'polling' ? preset.intervalS * 1000 : 120_000);
  // The cursor is the latest PurchaseDate seen; orders at exactly that instant are remembered by
  // id, since CreatedAfter is inclusive here and timestamps may tie.
  let cursorMs = 0;
  let seenAtCursor = new Set<string>();

  const get = async (url: string): Promise<unknown> => {
    const fetched = await fetchWithTimeout(url, { method: 'GET', headers }, timeoutMs);
    if (!fetched.ok) throw new Error(`amazon poll: ${fetched.result.ok ? '' : fetched.result.error}`);
    if (!fetched.response.ok) throw new Error(`amazon poll: HTTP ${fetched.response.status} ${(await fetched.response.text()).slice(0, 300)}`);
    return fetched.response.json();
  };

  const poll = async (): Promise<readonly IncomingOrder[]> => {
    const found: { id: string; atMs: number }[] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const query = new URLSearchParams({ MarketplaceIds: AMAZON_MARKETPLACE_ID, ...(next === undefined ? { CreatedAfter: new Date(cursorMs).toISOString() } : { NextToken: next }) });
      const body = (await get(`${base}/orders/v0/orders?${query.toString()}`)) as { payload?: { Orders?: { AmazonOrderId: string; PurchaseDate: string }[]; NextToken?: string } };
      for (const o of body.payload?.Orders ?? []) found.push({ id: o.AmazonOrderId, atMs: Date.parse(o.PurchaseDate) });
      next = body.payload?.NextToken;
      if (next === undefined) break;
      if (page === MAX_PAGES_PER_POLL - 1) throw new Error(`amazon poll: more than ${MAX_PAGES_PER_POLL} pages of orders`);
    }
    const fresh = found.filter((o) => o.atMs > cursorMs || (o.atMs === cursorMs && !seenAtCursor.has(o.id))).sort((a, b) => a.atMs - b.atMs);
    const orders: IncomingOrder[] = [];
    for (const o of fresh) {
      if (o.atMs === cursorMs && seenAtCursor.has(o.id)) continue;
      let items: { payload?: { OrderItems?: { SellerSKU: string; QuantityOrdered: number }[] } };
      try {
        items = (await get(`${base}/orders/v0/orders/${encodeURIComponent(o.id)}/orderItems`)) as typeof items;
      } catch (error) {
        // The orders taken so far are behind the cursor already: hand them over, retry the rest next poll.
        if (orders.length > 0) break;
        throw error;
      }
      orders.push({ orderId: o.id, lines: (items.payload?.OrderItems ?? []).map((i) => ({ sku: i.SellerSKU, quantity: i.QuantityOrdered })) });
      // Advance per order, so a failed getOrderItems leaves the rest for the next poll.
      if (o.atMs > cursorMs) {
        cursorMs = o.atMs;
        seenAtCursor = new Set();
      }
      if (seenAtCursor.size >= MAX_SEEN_AT_CURSOR) throw new Error(`amazon poll: more than ${MAX_SEEN_AT_CURSOR} orders share one timestamp`);
      seenAtCursor.add(o.id);
    }
    return orders;
  };

  return { intervalMs, poll };
}
