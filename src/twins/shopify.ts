/** The Shopify twin (placeholder until its dialect lands). */
import type { TwinProtocolFactory } from './protocol.js';

export const createShopifyTwin: TwinProtocolFactory = () => {
  throw new Error('the shopify twin is not built yet');
};
