/**
 * A real marketplace connection for the engine: the `ChannelClient` the dispatcher pushes
 * listings through, and how orders come in (webhooks in the marketplace's dialect, or polling
 * its Orders API). Configured by base URL and credentials, so the same connector talks to the
 * marketplace or to invsim's channel twins (src/twins).
 */
import type { ChannelClient } from '../engine/ports.js';

export type ConnectorDialect = 'shopify' | 'woocommerce' | 'amazon' | 'ebay';

export interface ConnectorConfig {
  /** The channel's id in the scenario (the dispatcher's channel name). */
  readonly channel: string;
  readonly dialect: ConnectorDialect;
  /** e.g. https://my-shop.myshopify.com, https://sellingpartnerapi-na.amazon.com, http://127.0.0.1:7101 */
  readonly baseUrl: string;
  /** Access token / consumer key. */
  readonly accessToken: string;
  /** Webhook HMAC key (Shopify app secret, Woo webhook secret) / Woo consumer secret. */
  readonly secret: string;
  /** Shopify shop / Amazon seller id / eBay user. */
  readonly account: string;
  /** Requests to wait for at most, in real ms (default 10 000). */
  readonly timeoutMs?: number;
  /**
   * Polling dialects (Amazon, eBay): real ms between order polls. Default: the preset's
   * `orderNotification.intervalS` in ms (amazon-listings 120 000, ebay 300 000), uncompressed;
   * callers running against twins at a speedup pass the compressed interval.
   */
  readonly pollIntervalMs?: number;
  /**
   * Scenario ms per real ms of the engine the connector serves (`invsim serve --speedup`; default
   * 1). The channel speaks real time (Retry-After, Shopify's restoreRate, SP-API's
   * x-amzn-RateLimit-Limit), the engine scenario time: the connector converts what it reads
   * (src/connectors/wire-time.ts).
   */
  readonly speedup?: number;
}

/** One line of an order as the marketplace reports it. */
export interface IncomingOrderLine {
  readonly sku: string;
  readonly quantity: number;
}

export interface IncomingOrder {
  /** The marketplace's order id: with the channel, the order's idempotency key. */
  readonly orderId: string;
  readonly lines: readonly IncomingOrderLine[];
}

export type WebhookParse =
  | { readonly ok: true; readonly orders: readonly IncomingOrder[] }
  | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };

export interface WebhookIntake {
  /** Verifies the signature over the raw body and parses the delivery (orders/create, order.created). */
  receive(headers: Readonly<Record<string, string | string[] | undefined>>, rawBody: Buffer): WebhookParse;
}

export interface OrderPoller {
  /** Real ms between polls (the preset's interval, compressed by the caller). */
  readonly intervalMs: number;
  /** Orders created since the last poll (the poller keeps its own cursor); throws on a failed call. */
  poll(): Promise<readonly IncomingOrder[]>;
}

export interface Connector {
  readonly client: ChannelClient;
  /** Webhook dialects (Shopify, WooCommerce). */
  readonly webhook?: WebhookIntake;
  /** Polling dialects (Amazon Orders API, eBay Fulfillment API). */
  readonly poller?: OrderPoller;
  /** Webhook dialects: subscribes `callbackUrl` to order creation through the marketplace's API. */
  subscribe?(callbackUrl: string): Promise<void>;
  /** Maps catalogue SKUs to the marketplace's own ids before the first push (Shopify inventory items). */
  prepare?(skus: readonly string[]): Promise<void>;
}

export type ConnectorFactory = (config: ConnectorConfig) => Connector;

/**
 * The channels file `invsim twins` writes and `invsim serve --channels FILE` reads: where each
 * of the scenario's channels is reached and with which credentials.
 */
export interface ChannelManifest {
  /** What the twins run (informational; the service checks the channel ids against its scenario). */
  readonly twins?: { readonly scenario: string; readonly seed: number; readonly speedup: number; readonly controlUrl: string };
  readonly channels: readonly Omit<ConnectorConfig, 'timeoutMs' | 'speedup'>[];
}
