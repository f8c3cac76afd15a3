/**
 * The Shopify connector: inventory through the Admin GraphQL API (`inventorySetQuantities` with
 * compareQuantity, 250 quantities per call), orders through signed orders/create webhooks.
 * Mapping follows the Admin GraphQL reference: a THROTTLED error's wait is computed from
 * `extensions.cost.throttleStatus` (points missing / restoreRate), COMPARE_QUANTITY_STALE is a
 * conflict, other userErrors are rejections; X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of
 * the raw body with the app secret ("About webhooks" > verify). The restore rate is points per
 * real second, Retry-After real seconds; the waits given to the engine are in its scenario time
 * (`config.speedup`, src/connectors/wire-time.ts).
 */
import { createHmac } from 'node:crypto';
import type { ChannelListing, ChannelResult, ChannelUpdate } from '../engine/ports.js';
import { tokenMatches } from './compare.js';
import type { Connector, ConnectorFactory, IncomingOrder, WebhookParse } from './types.js';
import { checkedSpeedup, restoreWaitScenarioMs, retryAfterScenarioMs } from './wire-time.js';

export const SHOPIFY_API_VERSION = '2025-01';
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ITEMS = 250;
/** Pages of 250 inventory items read at most while preparing (a limit on everything). */
const MAX_PAGES = 10_000;

const SET_MUTATION = `mutation set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { inventoryAdjustmentGroup { id } userErrors { field message code } }
}`;
const ITEMS_QUERY = `query items($first: Int!, $after: String, $query: String, $loc: ID!) {
  inventoryItems(first: $first, after: $after, query: $query) {
    nodes { id sku inventoryLevel(locationId: $loc) { quantities(names: ["available"]) { name quantity } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const LOCATIONS_QUERY = `query { locations(first: 1) { nodes { id } } }`;
const SUBSCRIBE_MUTATION = `mutation sub($url: URL!) {
  webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: $url, format: JSON}) { webhookSubscription { id } userErrors { field message } }
}`;

type GqlAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; result: ChannelResult };

interface ItemNode {
  id: string;
  sku: string;
  inventoryLevel: { quantities: { name: string; quantity: number }[] } | null;
}

export const createShopifyConnector: ConnectorFactory = (config): Connector => {
  const url = `${config.baseUrl.replace(/\/$/, '')}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const speedup = checkedSpeedup(config.channel, config.speedup);
  const itemIds = new Map<string, string>();
  const versions = new Map<string, number>();
  let locationId: string | undefined;

  const gql = async (query: string, variables: Record<string, unknown>): Promise<GqlAnswer> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-shopify-access-token': config.accessToken },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, result: { ok: false, error: 'timeout' } };
      return { ok: false, result: { ok: false, error: 'unavailable', message: String(e) } };
    }
    const text = await res.text();
    if (res.status === 503) return { ok: false, result: { ok: false, error: 'unavailable' } };
    if (res.status === 504) return { ok: false, result: { ok: false, error: 'timeout' } };
    if (res.status >= 500) return { ok: false, result: { ok: false, error: 'server_error', message: `HTTP ${res.status}` } };
    if (res.status === 429) return { ok: false, result: { ok: false, error: 'throttled', retryAfterMs: retryAfterScenarioMs(res.headers, speedup) ?? 1_000 * speedup } };
    if (res.status !== 200) return { ok: false, result: { ok: false, error: 'rejected', message: `HTTP ${res.status}: ${text.slice(0, 200)}` } };
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { ok: false, result: { ok: false, error: 'server_error', message: 'malformed JSON' } };
    }
    const errors = body['errors'];
    if (Array.isArray(errors) && errors.length > 0) {
      const first = errors[0] as { message?: string; extensions?: { code?: string } };
      if (first.extensions?.code === 'THROTTLED') return { ok: false, result: { ok: false, error: 'throttled', retryAfterMs: throttleWaitMs(body, speedup) } };
      return { ok: false, result: { ok: false, error: 'rejected', message: first.message ?? 'GraphQL error' } };
    }
    return { ok: true, body };
  };

  const location = async (): Promise<string> => {
    if (locationId !== undefined) return locationId;
    const a = await gql(LOCATIONS_QUERY, {});
    if (!a.ok) throw new Error(`shopify ${config.channel}: locations query failed (${a.result.ok ? '' : a.result.error})`);
    const id = (a.body['data'] as { locations?: { nodes?: { id: string }[] } } | undefined)?.locations?.nodes?.[0]?.id;
    if (id === undefined) throw new Error(`shopify ${config.channel}: the shop has no location`);
    locationId = id;
    return id;
  };

  const readItems = async (variables: Record<string, unknown>): Promise<{ nodes: ItemNode[]; hasNext: boolean; end: string | null } | ChannelResult> => {
    const a = await gql(ITEMS_QUERY, { ...variables, loc: await location() });
    if (!a.ok) return a.result;
    const conn = (a.body['data'] as { inventoryItems: { nodes: ItemNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }).inventoryItems;
    for (const n of conn.nodes) itemIds.set(n.sku, n.id);
    return { nodes: conn.nodes, hasNext: conn.pageInfo.hasNextPage, end: conn.pageInfo.endCursor };
  };

  const itemIdOf = async (sku: string): Promise<string | undefined> => {
    const known = itemIds.get(sku);
    if (known !== undefined) return known;
    const r = await readItems({ first: 1, query: `sku:${JSON.stringify(sku)}` });
    return 'nodes' in r ? r.nodes.find((n) => n.sku === sku)?.id : undefined;
  };

  const push = async (updates: readonly ChannelUpdate[]): Promise<ChannelResult> => {
    if (updates.length > MAX_ITEMS) throw new RangeError(`shopify: ${updates.length} updates exceed ${MAX_ITEMS} per call`);
    const loc = await location();
    const quantities: Record<string, unknown>[] = [];
    for (const u of updates) {
      const id = await itemIdOf(u.sku);
      if (id === undefined) return { ok: false, error: 'rejected', message: `unknown SKU ${u.sku}` };
      quantities.push(u.compareQuantity === undefined ? { inventoryItemId: id, locationId: loc, quantity: u.quantity } : { inventoryItemId: id, locationId: loc, quantity: u.quantity, compareQuantity: u.compareQuantity });
    }
    const ignore = updates.some((u) => u.compareQuantity === undefined);
    const input = { name: 'available', reason: 'correction', ignoreCompareQuantity: ignore, quantities };
    const a = await gql(SET_MUTATION, { input });
    if (!a.ok) return a.result;
    const payload = (a.body['data'] as { inventorySetQuantities?: { userErrors?: { message: string; code?: string }[] } } | undefined)?.inventorySetQuantities;
    const userErrors = payload?.userErrors ?? [];
    const stale = userErrors.find((e) => e.code === 'COMPARE_QUANTITY_STALE' || e.code === 'CHANGE_FROM_QUANTITY_STALE');
    if (stale !== undefined) return { ok: false, error: 'conflict', message: stale.message };
    if (userErrors.length > 0) return { ok: false, error: 'rejected', message: userErrors.map((e) => `${e.code ?? ''} ${e.message}`).join('; ') };
    for (const u of updates) versions.set(u.sku, u.version);
    return { ok: true };
  };

  return {
    client: {
      id: config.channel,
      compareAndSet: true,
      pushListing: (update) => push([update]),
      batch: { maxItems: MAX_ITEMS, push },
      async readListing(sku: string): Promise<ChannelListing | undefined> {
        const r = await readItems({ first: 1, query: `sku:${JSON.stringify(sku)}` });
        if (!('nodes' in r)) throw new Error(`shopify ${config.channel}: reading ${sku} failed (${r.ok ? '' : r.error})`);
        const node = r.nodes.find((n) => n.sku === sku);
        const q = node?.inventoryLevel?.quantities.find((x) => x.name === 'available')?.quantity;
        return q === undefined ? undefined : { quantity: q, version: versions.get(sku) ?? -1 };
      },
    },
    async prepare(skus: readonly string[]): Promise<void> {
      await location();
      const wanted = new Set(skus);
      let after: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const r = await readItems(after === null ? { first: MAX_ITEMS } : { first: MAX_ITEMS, after });
        if (!('nodes' in r)) throw new Error(`shopify ${config.channel}: listing inventory items failed (${r.ok ? '' : r.error})`);
        if (!r.hasNext || r.end === null) break;
        after = r.end;
      }
      const missing = [...wanted].filter((s) => !itemIds.has(s));
      if (missing.length > 0) throw new Error(`shopify ${config.channel}: no inventory item for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    },
    async subscribe(callbackUrl: string): Promise<void> {
      const a = await gql(SUBSCRIBE_MUTATION, { url: callbackUrl });
      if (!a.ok) throw new Error(`shopify ${config.channel}: webhookSubscriptionCreate failed (${a.result.ok ? '' : a.result.error})`);
      const errs = (a.body['data'] as { webhookSubscriptionCreate?: { userErrors?: { message: string }[] } } | undefined)?.webhookSubscriptionCreate?.userErrors ?? [];
      if (errs.length > 0) throw new Error(`shopify ${config.channel}: webhookSubscriptionCreate: ${errs.map((e) => e.message).join('; ')}`);
    },
    webhook: {
      receive(headers, rawBody): WebhookParse {
        const header = (n: string): string | undefined => {
          const v = headers[n];
          return Array.isArray(v) ? v[0] : v;
        };
        const given = header('x-shopify-hmac-sha256');
        if (given === undefined) return { ok: false, status: 401, reason: 'missing X-Shopify-Hmac-Sha256' };
        const expected = createHmac('sha256', config.secret).update(rawBody).digest('base64');
        if (!tokenMatches(given, expected)) return { ok: false, status: 401, reason: 'bad X-Shopify-Hmac-Sha256' };
        if (header('x-shopify-topic') !== 'orders/create') return { ok: false, status: 400, reason: `unexpected topic ${header('x-shopify-topic') ?? '(none)'}` };
        let body: { id?: unknown; line_items?: { sku?: unknown; quantity?: unknown }[] };
        try {
          body = JSON.parse(rawBody.toString('utf8')) as typeof body;
        } catch {
          return { ok: false, status: 400, reason: 'malformed JSON' };
        }
        if ((typeof body.id !== 'number' && typeof body.id !== 'string') || !Array.isArray(body.line_items)) return { ok: false, status: 400, reason: 'not an order' };
        const lines = body.line_items.filter((l) => typeof l.sku === 'string' && typeof l.quantity === 'number').map((l) => ({ sku: l.sku as string, quantity: l.quantity as number }));
        const order: IncomingOrder = { orderId: String(body.id), lines };
        return { ok: true, orders: [order] };
      },
    },
  };
};

/**
 * Scenario ms until the bucket holds the request's cost again, from the throttled answer's cost
 * extension (restoreRate in points per real second); a second of real time without a rate.
 */
function throttleWaitMs(body: Record<string, unknown>, speedup: number): number {
  const cost = (body['extensions'] as { cost?: { requestedQueryCost?: number; throttleStatus?: { currentlyAvailable?: number; restoreRate?: number } } } | undefined)?.cost;
  const need = cost?.requestedQueryCost ?? 0;
  const have = cost?.throttleStatus?.currentlyAvailable ?? 0;
  const rate = cost?.throttleStatus?.restoreRate ?? 0;
  if (!(rate > 0)) return 1_000 * speedup;
  return restoreWaitScenarioMs(need - have, rate, speedup);
}
