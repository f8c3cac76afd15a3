/**
 * What a marketplace dialect module gives the twins: its routes (the inventory-sync subset of
 * the marketplace's API, answered through the channel model of channel.ts) and how an order
 * taken at the twin's storefront reaches the system under test (a signed webhook, or the order
 * book its Orders API serves to pollers).
 */
import type { FastifyInstance } from 'fastify';
import type { RealTimeSource } from '../adapters/realtime.js';
import type { Rng } from '../model/random.js';
import type { TwinChannel } from './channel.js';

/** The dialects the twins speak; each preset maps to one (see DIALECT_OF_PRESET). */
export type TwinDialect = 'shopify' | 'woocommerce' | 'amazon' | 'ebay';

/** An order a customer placed at a twin's storefront. */
export interface TwinOrder {
  /** Unique per twin, stable in a run: the marketplace's order id. */
  readonly orderId: string;
  /** Sequence number of the order on its twin, from 1. */
  readonly number: number;
  readonly channel: string;
  readonly sku: string;
  readonly units: number;
  /** Scenario ms (the twins' clock) when the order was placed. */
  readonly placedAtMs: number;
}

/** Credentials of one twin: what a client must present, what the twin signs webhooks with. */
export interface TwinCredentials {
  /** Shopify X-Shopify-Access-Token, eBay/Amazon bearer or LWA access token, Woo consumer key. */
  readonly accessToken: string;
  /** Shopify app client secret / WooCommerce webhook secret: the HMAC key of webhooks; Woo consumer secret. */
  readonly secret: string;
  /** Amazon seller id / Shopify shop name / eBay user: whose account this is. */
  readonly account: string;
}

export interface TwinProtocolContext {
  readonly channel: TwinChannel;
  readonly credentials: TwinCredentials;
  /**
   * The twins' clock: scenario ms, compressed by --speedup; `wallClockMs` for timestamps on the
   * wire, and wire-time.ts for durations and rates (real time on the wire, `speedup` here).
   */
  readonly time: RealTimeSource;
  /**
   * Where webhooks go when the system under test has not subscribed through the API
   * (`--webhook channel=URL`); undefined: only API subscriptions receive them.
   */
  readonly webhookUrl: string | undefined;
  /** Operational messages (stderr). */
  readonly log: (message: string) => void;
  /** The dialect's own random stream (webhook delays, duplicates); absent: derived from the channel id. */
  readonly rng?: Rng;
}

export interface WebhookStats {
  /** Delivery attempts made, failed (non-2xx or no answer), and given up after the last retry. */
  attempts: number;
  failed: number;
  abandoned: number;
  /** Orders waiting for a (re)delivery now. */
  pending: number;
}

export interface TwinProtocol {
  readonly dialect: TwinDialect;
  /** Registers the marketplace's routes on this twin's server. */
  register(app: FastifyInstance): void;
  /** An order taken at the storefront: delivered as a webhook, or kept for the Orders API. */
  orderPlaced(order: TwinOrder): void;
  /** Webhook dialects: delivery counts (undefined for polling dialects). */
  webhookStats(): WebhookStats | undefined;
  /** Stops deliveries in flight; the server is closed by the caller. */
  close(): Promise<void>;
}

export type TwinProtocolFactory = (context: TwinProtocolContext) => TwinProtocol;
