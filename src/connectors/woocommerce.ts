/** The WooCommerce connector (placeholder until its dialect lands). */
import type { ConnectorFactory } from './types.js';

export const createWooCommerceConnector: ConnectorFactory = () => {
  throw new Error('the woocommerce connector is not built yet');
};
