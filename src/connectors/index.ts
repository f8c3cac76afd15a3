/** The connectors by dialect. */
import { createAmazonConnector } from './amazon.js';
import { createEbayConnector } from './ebay.js';
import { createShopifyConnector } from './shopify.js';
import type { ConnectorDialect, ConnectorFactory } from './types.js';
import { createWooCommerceConnector } from './woocommerce.js';

export type * from './types.js';

export const CONNECTOR_FACTORIES: Readonly<Record<ConnectorDialect, ConnectorFactory>> = Object.freeze({
  shopify: createShopifyConnector,
  woocommerce: createWooCommerceConnector,
  amazon: createAmazonConnector,
  ebay: createEbayConnector,
});
