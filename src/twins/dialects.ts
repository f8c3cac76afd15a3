/** Which dialect each channel preset speaks on the wire, and the twin that serves it. */
import type { PresetId } from '../model/presets.js';
import { createAmazonTwin } from './amazon.js';
import { createEbayTwin } from './ebay.js';
import type { TwinDialect, TwinProtocolFactory } from './protocol.js';
import { createShopifyTwin } from './shopify.js';
import { createWooCommerceTwin } from './woocommerce.js';

/** Presets with a twin; the others (Walmart, Etsy) have none yet, and a scenario using them is refused with that reason. */
export const DIALECT_OF_PRESET: Readonly<Partial<Record<PresetId, TwinDialect>>> = Object.freeze({
  'shopify-graphql': 'shopify',
  woocommerce: 'woocommerce',
  'amazon-listings': 'amazon',
  ebay: 'ebay',
});

export const TWIN_FACTORIES: Readonly<Record<TwinDialect, TwinProtocolFactory>> = Object.freeze({
  shopify: createShopifyTwin,
  woocommerce: createWooCommerceTwin,
  amazon: createAmazonTwin,
  ebay: createEbayTwin,
});
