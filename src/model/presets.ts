/**
 * Channel presets: how each marketplace throttles, lags, applies and notifies, as data.
 *
 * Every parameter carries its provenance in `sources` (keyed by the parameter's path, e.g.
 * `rateLimits[0].capacityPoints`): the marketplace documentation page and section it comes
 * from, or `assumption: …` where no public number exists. `validatePreset` refuses a preset
 * with an unsourced parameter or a stale source entry, and docs/channel-presets.md renders
 * the same data (see `renderPresetTable`, which the tests compare with the document).
 *
 * Scenarios may override any number; the presets are defaults for a standard-plan seller
 * with default API allowances, not upper bounds.
 */

import type { LatencySpec } from './latency.js';
import { validateLatencySpec } from './latency.js';
import type { RateLimitSpec } from './ratelimit.js';
import { validateRateLimitSpec } from './ratelimit.js';

/**
 * How an inventory update is interpreted by the channel.
 * - `absolute`: set the listed quantity to a value (last write wins).
 * - `delta`: add a signed adjustment.
 * - `compare-and-set`: set the value only if the channel's current value equals the one
 *   the caller says it expects (Shopify `inventorySetQuantities` with `compareQuantity`).
 */
export type UpdateSemantics = 'absolute' | 'delta' | 'compare-and-set';

export type OrderNotification =
  | {
      mode: 'webhook';
      /** From the order's creation on the channel to the first delivery attempt. */
      delay: LatencySpec;
      /** Probability that a delivered notification is delivered once more (at-least-once). */
      duplicateRate: number;
      /** Deliveries may overtake each other within this window (no ordering guarantee). */
      reorderWindowMs: number;
      /** Total attempts, the first included; 1 means no retry. */
      maxDeliveryAttempts: number;
      /** Span over which the retries are spread (0 when there are none). */
      retryWindowS: number;
    }
  | { mode: 'polling'; intervalS: number };

export interface ChannelPreset {
  /** Stable kebab-case identifier, e.g. 'shopify-graphql'. */
  id: string;
  displayName: string;
  /** All must admit a call (see createRateLimiters). */
  rateLimits: RateLimitSpec[];
  /** API round trip of one inventory-update call. */
  latency: LatencySpec;
  /** Feed-style channels: accepted, then applied to the live listing this much later. */
  applyDelay?: LatencySpec;
  updateSemantics: UpdateSemantics;
  /** Batch size: SKUs one update call may carry (1 when one SKU per call). */
  maxItemsPerRequest: number;
  orderNotification: OrderNotification;
  /** Baseline background probability that a call fails with a 5xx (faults come on top). */
  errorRate5xx: number;
  /** For each parameter path: where its value comes from (doc page/section, or 'assumption: …'). */
  sources: Record<string, string>;
}

export type PresetId =
  | 'shopify-graphql'
  | 'shopify-rest'
  | 'amazon-listings'
  | 'amazon-feed'
  | 'ebay'
  | 'walmart'
  | 'etsy'
  | 'woocommerce';

export const PRESET_IDS: readonly PresetId[] = Object.freeze([
  'shopify-graphql',
  'shopify-rest',
  'amazon-listings',
  'amazon-feed',
  'ebay',
  'walmart',
  'etsy',
  'woocommerce',
] as const);

const MINUTE_MS = 60_000;

// Shared by both Shopify presets: one webhook system serves REST and GraphQL apps.
const SHOPIFY_WEBHOOKS: OrderNotification = {
  mode: 'webhook',
  delay: { kind: 'lognormal', medianMs: 1_000, p99Ms: 30_000 },
  duplicateRate: 0.01,
  reorderWindowMs: 10_000,
  maxDeliveryAttempts: 9,
  retryWindowS: 14_400,
};
const SHOPIFY_WEBHOOK_SOURCES: Record<string, string> = {
  'orderNotification.delay.medianMs':
    'assumption: Shopify publishes no delivery-latency figure for orders/create webhooks; typically about a second',
  'orderNotification.delay.p99Ms': 'assumption: tail of queued deliveries under platform load (not published)',
  'orderNotification.duplicateRate':
    'assumption: Shopify docs (Webhooks > Best practices: "ignore duplicate webhooks", X-Shopify-Event-Id) state delivery is at-least-once; the rate is not published',
  'orderNotification.reorderWindowMs':
    'assumption: Shopify docs (Webhooks > Best practices) state webhooks are not guaranteed to arrive in order; window size not published',
  'orderNotification.maxDeliveryAttempts':
    'Shopify developer changelog 2024-09-10 "Updates to webhook retry mechanism": retried a total of 8 times over 4 hours, so 1 attempt + 8 retries',
  'orderNotification.retryWindowS':
    'Shopify developer changelog 2024-09-10 "Updates to webhook retry mechanism": 8 retries over 4 hours with exponential backoff (4 h = 14 400 s)',
};

// Shared by both Amazon presets: orders come from the Orders API, polled.
const AMAZON_ORDERS_POLLING: OrderNotification = { mode: 'polling', intervalS: 120 };
const AMAZON_ORDERS_SOURCES: Record<string, string> = {
  'orderNotification.intervalS':
    'assumption (choice): poll Orders API getOrders every 120 s; SP-API Orders API rate limits give getOrders 0.0167 req/s, burst 20 (one call per 60 s sustained), so 120 s leaves room for pagination. SP-API Notifications (ORDER_CHANGE) arrive via Amazon SQS/EventBridge, not webhooks, and are not modelled',
};

const PRESETS: Record<PresetId, ChannelPreset> = {
  'shopify-graphql': {
    id: 'shopify-graphql',
    displayName: 'Shopify (GraphQL Admin API)',
    rateLimits: [{ kind: 'cost-bucket', capacityPoints: 1_000, restorePerS: 50, costPerRequest: 10 }],
    latency: { kind: 'lognormal', medianMs: 120, p99Ms: 1_200 },
    updateSemantics: 'compare-and-set',
    maxItemsPerRequest: 250,
    orderNotification: SHOPIFY_WEBHOOKS,
    errorRate5xx: 0.001,
    sources: {
      'rateLimits[0].capacityPoints':
        'Shopify "Shopify API rate limits" > GraphQL Admin API (calculated query cost, leaky bucket): 1 000-point bucket (throttleStatus.maximumAvailable) for standard plans, as long documented',
      'rateLimits[0].restorePerS':
        'Shopify "Shopify API rate limits" > GraphQL Admin API: 50 points/s restore for standard plans as long documented; the current page lists 100 points/s (Standard), 200 (Advanced), 1 000 (Plus), so override per plan',
      'rateLimits[0].costPerRequest':
        'Shopify "GraphQL Admin API rate limits" > Cost calculation: a mutation costs 10 points (inventorySetQuantities); input array size does not add cost',
      'latency.medianMs': 'assumption: typical GraphQL Admin mutation round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      updateSemantics:
        'Shopify GraphQL Admin "inventorySetQuantities": absolute quantities with compare-and-set via compareQuantity (opt out with ignoreCompareQuantity)',
      maxItemsPerRequest:
        'Shopify "Shopify API limits" > Input limits: input arrays hold at most 250 items (inventorySetQuantities input.quantities)',
      ...SHOPIFY_WEBHOOK_SOURCES,
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  'shopify-rest': {
    id: 'shopify-rest',
    displayName: 'Shopify (REST Admin API, legacy)',
    rateLimits: [{ kind: 'leaky-bucket', capacity: 40, leakPerS: 2 }],
    latency: { kind: 'lognormal', medianMs: 150, p99Ms: 1_500 },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 1,
    orderNotification: SHOPIFY_WEBHOOKS,
    errorRate5xx: 0.001,
    sources: {
      'rateLimits[0].capacity':
        'Shopify "REST Admin API rate limits" > Key figures: bucket of 40 requests (standard plans); over it 429 Too Many Requests with Retry-After',
      'rateLimits[0].leakPerS': 'Shopify "REST Admin API rate limits" > Key figures: Standard limit 2 requests/second',
      'latency.medianMs': 'assumption: typical REST Admin round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      updateSemantics: 'Shopify REST Admin "InventoryLevel" > POST inventory_levels/set.json: sets the available quantity (absolute)',
      maxItemsPerRequest:
        'Shopify REST Admin "InventoryLevel" > POST inventory_levels/set.json: one inventory_item_id at one location_id per call',
      ...SHOPIFY_WEBHOOK_SOURCES,
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  'amazon-listings': {
    id: 'amazon-listings',
    displayName: 'Amazon (SP-API Listings Items)',
    rateLimits: [{ kind: 'token-bucket', ratePerS: 5, burst: 10 }],
    latency: { kind: 'lognormal', medianMs: 300, p99Ms: 3_000 },
    applyDelay: { kind: 'lognormal', medianMs: 2 * MINUTE_MS, p99Ms: 15 * MINUTE_MS },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 1,
    orderNotification: AMAZON_ORDERS_POLLING,
    errorRate5xx: 0.002,
    sources: {
      'rateLimits[0].ratePerS':
        'Amazon SP-API "Listings Items API Rate Limits": patchListingsItem / putListingsItem 5 requests/s per account-application pair',
      'rateLimits[0].burst': 'Amazon SP-API "Listings Items API Rate Limits": burst 10',
      'latency.medianMs': 'assumption: synchronous submission round trip (status ACCEPTED); not published',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      'applyDelay.medianMs':
        'assumption: the Listings Items API accepts a submission and applies it asynchronously; Amazon publishes no propagation time, a couple of minutes is typical',
      'applyDelay.p99Ms': 'assumption: occasional 15-minute propagation tail (not published)',
      updateSemantics:
        'Amazon SP-API "Listings Items API" patchListingsItem: replace op on fulfillment_availability.quantity (absolute)',
      maxItemsPerRequest: 'Amazon SP-API "Listings Items API": one SKU per call (path /listings/2021-08-01/items/{sellerId}/{sku})',
      ...AMAZON_ORDERS_SOURCES,
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  'amazon-feed': {
    id: 'amazon-feed',
    displayName: 'Amazon (SP-API JSON_LISTINGS_FEED)',
    rateLimits: [
      { kind: 'token-bucket', ratePerS: 0.0083, burst: 15 },
      { kind: 'quota', limit: 5, periodS: 300 },
    ],
    latency: { kind: 'lognormal', medianMs: 400, p99Ms: 3_000 },
    applyDelay: { kind: 'uniform', minMs: 5 * MINUTE_MS, maxMs: 30 * MINUTE_MS },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 25_000,
    orderNotification: AMAZON_ORDERS_POLLING,
    errorRate5xx: 0.002,
    sources: {
      'rateLimits[0].ratePerS':
        'Amazon SP-API "Feeds API Rate Limits": createFeed 0.0083 requests/s per account-application pair (limits apply together: "whichever threshold you reach first")',
      'rateLimits[0].burst': 'Amazon SP-API "Feeds API Rate Limits": createFeed burst 15',
      'rateLimits[1].limit':
        'Amazon SP-API changelog 2025-05-06 "Feed size and rate limit changes for the JSON_LISTINGS_FEED": five feed submissions per five minutes per region',
      'rateLimits[1].periodS': 'Amazon SP-API changelog 2025-05-06 (JSON_LISTINGS_FEED): per five minutes = 300 s',
      'latency.medianMs': 'assumption: createFeedDocument + upload + createFeed round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      'applyDelay.minMs':
        'DESIGN.md (Amazon JSON feed, 5-30 min processing); assumption: uniform shape. Amazon "Feeds API FAQ": feeds are queued and processed sequentially, no SLA',
      'applyDelay.maxMs': 'DESIGN.md (5-30 min processing); assumption: uniform shape, no published SLA',
      updateSemantics: 'Amazon SP-API "JSON_LISTINGS_FEED" schema: PATCH replace of fulfillment_availability.quantity (absolute)',
      maxItemsPerRequest:
        'Amazon SP-API changelog 2025-05-06 (JSON_LISTINGS_FEED): items per feed increased from 10 000 to 25 000',
      ...AMAZON_ORDERS_SOURCES,
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  ebay: {
    id: 'ebay',
    displayName: 'eBay (Sell Inventory API)',
    rateLimits: [
      { kind: 'quota', limit: 2_000_000, periodS: 86_400 },
      { kind: 'quota', limit: 250, periodS: 86_400, scope: 'listing' },
    ],
    latency: { kind: 'lognormal', medianMs: 400, p99Ms: 4_000 },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 25,
    orderNotification: { mode: 'polling', intervalS: 300 },
    errorRate5xx: 0.003,
    sources: {
      'rateLimits[0].limit':
        'assumption: eBay "API Call Limits" page, Sell APIs > Inventory API default daily call limit as recalled (2 000 000 calls/day); not re-verified, check your keyset with the Analytics API getRateLimits',
      'rateLimits[0].periodS': 'eBay "API Call Limits": limits are per day (reset at midnight Pacific; modelled as fixed windows from t = 0)',
      'rateLimits[1].limit':
        'eBay "Listing Management" guide > Revising listings: an active listing can be revised at most 250 times per calendar day, whichever API is used',
      'rateLimits[1].periodS': 'eBay "Listing Management" guide: per calendar day (86 400 s windows from t = 0)',
      'rateLimits[1].scope': 'eBay "Listing Management" guide: the 250 revisions/day limit applies per listing',
      'latency.medianMs': 'assumption: bulkUpdatePriceQuantity round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      updateSemantics:
        'eBay Inventory API "bulkUpdatePriceQuantity": sets shipToLocationAvailability.quantity / offers[].availableQuantity (absolute)',
      maxItemsPerRequest:
        'eBay Inventory API "bulkUpdatePriceQuantity" (Bulk updates guide): up to 25 inventory item records per call',
      'orderNotification.intervalS':
        'assumption (choice): poll the Fulfillment API getOrders every 300 s. eBay offers notifications (Notification API, Trading Platform Notifications) but the orders integration guides reconcile with getOrders; polling is modelled so that missed notifications are not silently assumed away',
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  walmart: {
    id: 'walmart',
    displayName: 'Walmart Marketplace (bulk inventory feed)',
    rateLimits: [{ kind: 'quota', limit: 10, periodS: 3_600 }],
    latency: { kind: 'lognormal', medianMs: 500, p99Ms: 5_000 },
    applyDelay: { kind: 'lognormal', medianMs: 15 * MINUTE_MS, p99Ms: 30 * MINUTE_MS },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 50_000,
    orderNotification: { mode: 'polling', intervalS: 300 },
    errorRate5xx: 0.003,
    sources: {
      'rateLimits[0].limit':
        'Walmart Marketplace "Throttling" > API throttling limits: POST Bulk Inventory Update 10 per hour (429 Too Many Requests beyond)',
      'rateLimits[0].periodS': 'Walmart Marketplace "Throttling": per hour = 3 600 s',
      'latency.medianMs': 'assumption: feed upload round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      'applyDelay.medianMs': 'assumption: median feed processing time, half the documented processing time',
      'applyDelay.p99Ms':
        'Walmart Marketplace "Throttling" / "Bulk inventory update": 30 minutes processing time per request, taken as the p99',
      updateSemantics: 'Walmart Marketplace "Bulk inventory update" feed (feedType=inventory): sets the quantity amount (absolute)',
      maxItemsPerRequest:
        'Walmart "Bulk Feed API throttling limits": inventory feed 50K records per call (5 MB file); assumption: the same record count fits the Marketplace 5 MB feed',
      'orderNotification.intervalS':
        'assumption (choice): poll Orders API (released orders) every 300 s; Walmart also offers PO_CREATED event notifications, not modelled here',
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  etsy: {
    id: 'etsy',
    displayName: 'Etsy (Open API v3)',
    rateLimits: [
      { kind: 'token-bucket', ratePerS: 10, burst: 10 },
      { kind: 'quota', limit: 10_000, periodS: 86_400 },
    ],
    latency: { kind: 'lognormal', medianMs: 300, p99Ms: 3_000 },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 1,
    orderNotification: { mode: 'polling', intervalS: 300 },
    errorRate5xx: 0.003,
    sources: {
      'rateLimits[0].ratePerS': 'Etsy Open API v3 "Rate Limits": default 10 queries per second per application (x-limit-per-second)',
      'rateLimits[0].burst': 'assumption: per-second limit modelled as a token bucket holding one second of requests',
      'rateLimits[1].limit': 'Etsy Open API v3 "Rate Limits": default 10 000 queries per day (x-limit-per-day)',
      'rateLimits[1].periodS':
        'Etsy Open API v3 "Rate Limits": per day; Etsy uses a sliding 24 h window, modelled as fixed 86 400 s windows from t = 0',
      'latency.medianMs': 'assumption: updateListingInventory round trip (not published)',
      'latency.p99Ms': 'assumption: tail round trip (not published)',
      updateSemantics:
        'Etsy Open API v3 "updateListingInventory": PUT replaces the listing\'s products/offerings with their quantities (absolute)',
      maxItemsPerRequest: 'Etsy Open API v3 "updateListingInventory": one listing per call (PUT /v3/application/listings/{listing_id}/inventory)',
      'orderNotification.intervalS':
        'assumption (choice): poll getShopReceipts every 300 s (288 calls/day, 3% of the daily quota). Etsy had no order webhooks historically; the recent ORDER_PAID webhook ("Webhooks" essentials page) is for commercial-access apps only',
      errorRate5xx: 'assumption: baseline background 5xx rate; outages are modelled as faults',
    },
  },

  woocommerce: {
    id: 'woocommerce',
    displayName: 'WooCommerce (REST API v3)',
    rateLimits: [{ kind: 'leaky-bucket', capacity: 50, leakPerS: 10 }],
    latency: { kind: 'lognormal', medianMs: 400, p99Ms: 4_000 },
    updateSemantics: 'absolute',
    maxItemsPerRequest: 100,
    orderNotification: {
      mode: 'webhook',
      delay: { kind: 'lognormal', medianMs: 2_000, p99Ms: 60_000 },
      duplicateRate: 0,
      reorderWindowMs: 10_000,
      maxDeliveryAttempts: 1,
      retryWindowS: 0,
    },
    errorRate5xx: 0.005,
    sources: {
      'rateLimits[0].capacity':
        'assumption: WooCommerce core REST API has no rate limit; the host (PHP workers, WAF) sets one. Generous leaky bucket of 50 requests',
      'rateLimits[0].leakPerS': 'assumption: host-dependent; 10 requests/s sustained for a typical managed host',
      'latency.medianMs': 'assumption: PHP batch request round trip (host dependent)',
      'latency.p99Ms': 'assumption: tail round trip on shared hosting (host dependent)',
      updateSemantics: 'WooCommerce REST API v3 "Products" / "Product variations": stock_quantity is set (absolute)',
      maxItemsPerRequest:
        'WooCommerce REST API v3 "Batch update products": at most 100 objects per request by default (filter woocommerce_rest_batch_items_limit)',
      'orderNotification.delay.medianMs':
        'assumption: deliveries run asynchronously through Action Scheduler / WP-Cron, so a few seconds is typical',
      'orderNotification.delay.p99Ms': 'assumption: low-traffic sites run WP-Cron late; one-minute tail',
      'orderNotification.duplicateRate':
        'WooCommerce docs "Working with Webhooks": a failed delivery is not redelivered (maxDeliveryAttempts 1), so no webhook arrives twice',
      'orderNotification.reorderWindowMs': 'assumption: asynchronous queue, no ordering guarantee',
      'orderNotification.maxDeliveryAttempts':
        'WooCommerce docs "Working with Webhooks": a failed delivery is not redelivered; the webhook is disabled after 5 failed deliveries (filter woocommerce_max_webhook_delivery_failures)',
      'orderNotification.retryWindowS': 'WooCommerce docs "Working with Webhooks": no retries, so no retry window',
      errorRate5xx: 'assumption: baseline background 5xx rate on shared PHP hosting',
    },
  },
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The presets, deeply frozen: copy one (structuredClone) to customise it. */
export const CHANNEL_PRESETS: Readonly<Record<PresetId, ChannelPreset>> = deepFreeze(PRESETS);

/** One parameter of a preset: a leaf value other than identity and model discriminators. */
export interface PresetParameter {
  /** Path as used in `sources`, e.g. 'rateLimits[1].limit', 'orderNotification.delay.p99Ms'. */
  readonly path: string;
  /** The `kind`/`mode` of the object holding it ('' at the top level). */
  readonly model: string;
  readonly value: number | string;
}

const DISCRIMINATORS = new Set(['kind', 'mode']);
const NOT_PARAMETERS = new Set(['id', 'displayName', 'sources']);

/** Every parameter of a preset, in declaration order; each must have a `sources` entry. */
export function presetParameters(p: ChannelPreset): PresetParameter[] {
  const out: PresetParameter[] = [];
  const walk = (value: unknown, path: string, model: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, model));
      return;
    }
    if (typeof value === 'object' && value !== null) {
      const obj = value as Record<string, unknown>;
      const kind = obj['kind'] ?? obj['mode'];
      const own = typeof kind === 'string' ? kind : model;
      for (const [k, v] of Object.entries(obj)) {
        if (DISCRIMINATORS.has(k) || (path === '' && NOT_PARAMETERS.has(k))) continue;
        walk(v, path === '' ? k : `${path}.${k}`, own);
      }
      return;
    }
    if (typeof value === 'number' || typeof value === 'string') out.push({ path, model, value });
  };
  walk(p, '', '');
  return out;
}

/** Paths of the numeric parameters of a preset. */
export function numericParameterPaths(p: ChannelPreset): string[] {
  return presetParameters(p)
    .filter((x) => typeof x.value === 'number')
    .map((x) => x.path);
}

const UPDATE_SEMANTICS: ReadonlySet<string> = new Set(['absolute', 'delta', 'compare-and-set']);

/** Problems with a preset, as human-readable strings prefixed with the parameter path; empty when valid. */
export function validatePreset(p: ChannelPreset): string[] {
  const problems: string[] = [];
  const at = (path: string, list: readonly string[]): void => {
    for (const msg of list) problems.push(`${path}: ${msg}`);
  };
  const finite = (path: string, v: unknown): v is number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      problems.push(`${path}: must be a finite number`);
      return false;
    }
    return true;
  };

  if (typeof p.id !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.id)) problems.push('id: must be kebab-case');
  if (typeof p.displayName !== 'string' || p.displayName.trim() === '') problems.push('displayName: must not be empty');

  if (!Array.isArray(p.rateLimits)) {
    problems.push('rateLimits: must be an array');
  } else {
    p.rateLimits.forEach((spec, i) => at(`rateLimits[${i}]`, validateRateLimitSpec(spec)));
  }
  at('latency', validateLatencySpec(p.latency));
  if (p.applyDelay !== undefined) at('applyDelay', validateLatencySpec(p.applyDelay));
  if (!UPDATE_SEMANTICS.has(p.updateSemantics)) problems.push(`updateSemantics: unknown value ${JSON.stringify(p.updateSemantics)}`);

  const batchOk = finite('maxItemsPerRequest', p.maxItemsPerRequest);
  if (batchOk && (!Number.isInteger(p.maxItemsPerRequest) || p.maxItemsPerRequest < 1)) {
    problems.push('maxItemsPerRequest: must be an integer >= 1');
  }
  // A full batch must be admissible at all, or the channel could never take one.
  if (batchOk && Array.isArray(p.rateLimits)) {
    p.rateLimits.forEach((spec, i) => {
      if (spec.kind !== 'cost-bucket') return;
      const cost = spec.costPerRequest + (spec.costPerItem ?? 0) * p.maxItemsPerRequest;
      if (cost > spec.capacityPoints) {
        problems.push(`rateLimits[${i}]: a full batch of ${p.maxItemsPerRequest} items costs ${cost} points, above capacityPoints ${spec.capacityPoints}`);
      }
    });
  }

  const n = p.orderNotification;
  if (n.mode === 'webhook') {
    at('orderNotification.delay', validateLatencySpec(n.delay));
    if (finite('orderNotification.duplicateRate', n.duplicateRate) && (n.duplicateRate < 0 || n.duplicateRate >= 1)) {
      problems.push('orderNotification.duplicateRate: must be in [0, 1)');
    }
    if (finite('orderNotification.reorderWindowMs', n.reorderWindowMs) && n.reorderWindowMs < 0) {
      problems.push('orderNotification.reorderWindowMs: must be >= 0');
    }
    const attemptsOk = finite('orderNotification.maxDeliveryAttempts', n.maxDeliveryAttempts);
    if (attemptsOk && (!Number.isInteger(n.maxDeliveryAttempts) || n.maxDeliveryAttempts < 1)) {
      problems.push('orderNotification.maxDeliveryAttempts: must be an integer >= 1');
    }
    if (attemptsOk && n.maxDeliveryAttempts === 1 && finite('orderNotification.duplicateRate', n.duplicateRate) && n.duplicateRate > 0) {
      problems.push('orderNotification.duplicateRate: must be 0 when maxDeliveryAttempts is 1 (a duplicate is a redelivery, and this channel does not redeliver)');
    }
    if (finite('orderNotification.retryWindowS', n.retryWindowS)) {
      if (n.retryWindowS < 0) problems.push('orderNotification.retryWindowS: must be >= 0');
      else if (attemptsOk && n.maxDeliveryAttempts > 1 && n.retryWindowS === 0) {
        problems.push('orderNotification.retryWindowS: must be > 0 when maxDeliveryAttempts > 1');
      }
    }
  } else if (n.mode === 'polling') {
    if (finite('orderNotification.intervalS', n.intervalS) && n.intervalS <= 0) problems.push('orderNotification.intervalS: must be > 0');
  } else {
    problems.push(`orderNotification.mode: unknown value ${JSON.stringify((n as { mode?: unknown }).mode)}`);
  }

  if (finite('errorRate5xx', p.errorRate5xx) && (p.errorRate5xx < 0 || p.errorRate5xx >= 1)) {
    problems.push('errorRate5xx: must be in [0, 1)');
  }

  // Provenance: every parameter sourced, no source for a parameter that does not exist.
  const sources: Record<string, string> = typeof p.sources === 'object' && p.sources !== null ? p.sources : {};
  const paths = new Set(presetParameters(p).map((x) => x.path));
  for (const path of paths) {
    const s = sources[path];
    if (typeof s !== 'string' || s.trim() === '') problems.push(`sources: no source for ${path}`);
  }
  for (const key of Object.keys(sources)) {
    if (!paths.has(key)) problems.push(`sources: ${key} is not a parameter of this preset`);
  }
  return problems;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The parameter table of docs/channel-presets.md: one row per preset parameter with its
 * model, value and source. The tests check that the document contains exactly this text.
 */
export function renderPresetTable(presets: Readonly<Record<PresetId, ChannelPreset>> = CHANNEL_PRESETS): string {
  const lines = ['| Preset | Parameter | Model | Value | Source |', '| --- | --- | --- | --- | --- |'];
  for (const id of PRESET_IDS) {
    const p = presets[id];
    for (const { path, model, value } of presetParameters(p)) {
      lines.push(`| ${id} | \`${path}\` | ${model === '' ? '—' : model} | ${cell(String(value))} | ${cell(p.sources[path] ?? '')} |`);
    }
  }
  return lines.join('\n');
}
