/**
 * The eBay connector: Sell Inventory v1 bulkUpdatePriceQuantity (up to 25 SKUs per call,
 * absolute `shipToLocationAvailability.quantity`), getInventoryItem for reads, and the
 * Fulfillment v1 getOrders (filter=creationdate:[cursor..], limit, offset) for the poller.
 * Authenticates with `Authorization: Bearer <config.accessToken>` (a user access token).
 * A 429's Retry-After is real seconds; the engine gets the wait in its scenario time
 * (`config.speedup`, src/connectors/wire-time.ts).
 */
import type { ChannelListing, ChannelResult, ChannelUpdate } from '../engine/ports.js';
import { CHANNEL_PRESETS } from '../model/presets.js';
import { fetchWithTimeout } from './amazon.js';
import type { Connector, ConnectorConfig, ConnectorFactory, IncomingOrder, OrderPoller } from './types.js';
import { checkedSpeedup, retryAfterScenarioMs } from './wire-time.js';

const DEFAULT_TIMEOUT_MS = 10_000;
export const EBAY_BULK_MAX_ITEMS = 25;
const ORDERS_PAGE = 200;
const MAX_PAGES_PER_POLL = 1_000;
const MAX_SEEN_AT_CURSOR = 100_000;

/** An answer's (or a bulk item's: no headers) result; a 429's wait in scenario ms at `speedup`. */
export function ebayResultOf(status: number, headers: Headers | null, message: string, speedup = 1): ChannelResult {
  if (status >= 200 && status < 300) return { ok: true };
  if (status === 429) {
    const retryAfterMs = headers === null ? undefined : retryAfterScenarioMs(headers, speedup);
    return retryAfterMs === undefined ? { ok: false, error: 'throttled', message } : { ok: false, error: 'throttled', retryAfterMs, message };
  }
  if (status === 503) return { ok: false, error: 'unavailable', message };
  if (status === 504) return { ok: false, error: 'timeout', message };
  if (status >= 500) return { ok: false, error: 'server_error', message };
  return { ok: false, error: 'rejected', message };
}

type BulkResponse = { responses?: { statusCode: number; sku: string; errors?: { errorId?: number; message?: string }[] }[] };

export const createEbayConnector: ConnectorFactory = (config: ConnectorConfig): Connector => {
  const base = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const speedup = checkedSpeedup(config.channel, config.speedup);
  const headers = { authorization: `Bearer ${config.accessToken}`, 'content-type': 'application/json', accept: 'application/json' };
  const acknowledged = new Map<string, number>();

  const push = async (updates: readonly ChannelUpdate[]): Promise<ChannelResult> => {
    if (updates.length === 0) return { ok: true };
    if (updates.length > EBAY_BULK_MAX_ITEMS) return { ok: false, error: 'rejected', message: `at most ${EBAY_BULK_MAX_ITEMS} SKUs per bulk call` };
    const body = { requests: updates.map((u) => ({ sku: u.sku, shipToLocationAvailability: { quantity: u.quantity } })) };
    const fetched = await fetchWithTimeout(`${base}/sell/inventory/v1/bulk_update_price_quantity`, { method: 'POST', headers, body: JSON.stringify(body) }, timeoutMs);
    if (!fetched.ok) return fetched.result;
    const res = fetched.response;
    const text = await res.text();
    const whole = ebayResultOf(res.status, res.headers, text.slice(0, 500), speedup);
    if (!whole.ok) return whole;
    const parsed = JSON.parse(text) as BulkResponse;
    const bySku = new Map((parsed.responses ?? []).map((r) => [r.sku, r]));
    // Items that succeeded are acknowledged even when others failed: eBay applies them one by one.
    let failure: ChannelResult | undefined;
    for (const u of updates) {
      const r = bySku.get(u.sku);
      if (r !== undefined && r.statusCode >= 200 && r.statusCode < 300) {
        acknowledged.set(u.sku, Math.max(u.version, acknowledged.get(u.sku) ?? -1));
        continue;
      }
      const message = `${u.sku}: ${r?.errors?.[0]?.message ?? 'no response for this SKU'}`;
      const item = r === undefined ? ({ ok: false, error: 'rejected', message } as const) : ebayResultOf(r.statusCode, null, message);
      // A per-listing quota is a rejection for that item, not a channel-wide throttle to back off from.
      failure ??= item.ok ? undefined : item.error === 'throttled' && r?.errors?.[0]?.errorId !== 2001 ? { ok: false, error: 'rejected', message } : item;
    }
    return failure ?? { ok: true };
  };

  const readListing = async (sku: string): Promise<ChannelListing | undefined> => {
    const fetched = await fetchWithTimeout(`${base}/sell/inventory/v1/inventory_item/${encodeURIComponent(sku)}`, { method: 'GET', headers }, timeoutMs);
    if (!fetched.ok) throw new Error(`ebay readListing ${sku}: ${fetched.result.ok ? '' : fetched.result.message ?? fetched.result.error}`);
    if (fetched.response.status === 404) return undefined;
    if (!fetched.response.ok) throw new Error(`ebay readListing ${sku}: HTTP ${fetched.response.status}`);
    const body = (await fetched.response.json()) as { availability?: { shipToLocationAvailability?: { quantity?: number } } };
    const quantity = body.availability?.shipToLocationAvailability?.quantity;
    if (typeof quantity !== 'number') return undefined;
    return { quantity, version: acknowledged.get(sku) ?? -1 };
  };

  return {
    client: { id: config.channel, pushListing: (u) => push([u]), readListing, batch: { maxItems: EBAY_BULK_MAX_ITEMS, push } },
    poller: createEbayPoller(config, base, headers, timeoutMs),
  };
};

function createEbayPoller(config: ConnectorConfig, base: string, headers: Record<string, string>, timeoutMs: number): OrderPoller {
  const preset = CHANNEL_PRESETS.ebay.orderNotification;
  const intervalMs = config.pollIntervalMs ?? (preset.mode === 'polling' ? preset.intervalS * 1000 : 300_000);
  // The creationdate range is inclusive, so orders at the cursor's instant are remembered by id.
  let cursorMs = 0;
  let seenAtCursor = new Set<string>();

  const poll = async (): Promise<readonly IncomingOrder[]> => {
    type Order = { orderId: string; creationDate: string; lineItems?: { sku?: string; quantity: number }[] };
    const found: Order[] = [];
    let url: string | undefined = `${base}/sell/fulfillment/v1/order?${new URLSearchParams({ filter: `creationdate:[${new Date(cursorMs).toISOString()}..]`, limit: String(ORDERS_PAGE), offset: '0' }).toString()}`;
    for (let page = 0; url !== undefined; page++) {
      if (page === MAX_PAGES_PER_POLL) throw new Error(`ebay poll: more than ${MAX_PAGES_PER_POLL} pages of orders`);
      const fetched = await fetchWithTimeout(url, { method: 'GET', headers }, timeoutMs);
      if (!fetched.ok) throw new Error(`ebay poll: ${fetched.result.ok ? '' : fetched.result.error}`);
      if (!fetched.response.ok) throw new Error(`ebay poll: HTTP ${fetched.response.status} ${(await fetched.response.text()).slice(0, 300)}`);
      const body = (await fetched.response.json()) as { orders?: Order[]; next?: string };
      found.push(...(body.orders ?? []));
      // `next` is absolute on eBay; keep our own base so a twin behind a proxy still resolves.
      url = body.next === undefined ? undefined : `${base}${new URL(body.next).pathname}${new URL(body.next).search}`;
    }
    const orders: IncomingOrder[] = [];
    const dated = found.map((o) => ({ o, atMs: Date.parse(o.creationDate) })).sort((a, b) => a.atMs - b.atMs);
    for (const { o, atMs } of dated) {
      if (atMs < cursorMs || (atMs === cursorMs && seenAtCursor.has(o.orderId))) continue;
      if (atMs > cursorMs) {
        cursorMs = atMs;
        seenAtCursor = new Set();
      }
      if (seenAtCursor.size >= MAX_SEEN_AT_CURSOR) throw new Error(`ebay poll: more than ${MAX_SEEN_AT_CURSOR} orders share one timestamp`);
      seenAtCursor.add(o.orderId);
      orders.push({ orderId: o.orderId, lines: (o.lineItems ?? []).flatMap((l) => (l.sku === undefined ? [] : [{ sku: l.sku, quantity: l.quantity }])) });
    }
    return orders;
  };

  return { intervalMs, poll };
}
