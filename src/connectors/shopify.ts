/** The Shopify connector (placeholder until its dialect lands). */
import type { ConnectorFactory } from './types.js';

export const createShopifyConnector: ConnectorFactory = () => {
  throw new Error('the shopify connector is not built yet');
};
